//go:build !race

package asm

const binaryRace = false
