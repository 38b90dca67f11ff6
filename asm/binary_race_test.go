//go:build race

package asm

// binaryRace: the race announcements move BinaryGemm's scratch row to the heap.
const binaryRace = true
