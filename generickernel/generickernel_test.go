package generickernel_test

import (
	"testing"

	"github.com/boltzgo/boltz/engine/kerneltest"
	"github.com/boltzgo/boltz/generickernel"
)

func TestConformance(t *testing.T) { kerneltest.Run(t, generickernel.Kernel{}) }
