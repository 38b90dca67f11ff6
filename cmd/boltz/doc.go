// Command boltz trains, evaluates and inspects binary restricted Boltzmann
// machines on the CPU. Run "boltz help" for the commands.
package main
