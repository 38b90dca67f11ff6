package engine

import "github.com/boltzgo/boltz/internal/floats"

// equalState reports whether two checkpoints hold the same state, bit for
// bit (tests).
func (c *Checkpoint) equalState(d *Checkpoint) bool {
	eq := floats.SameBits
	return c.Config == d.Config && c.Epoch == d.Epoch && c.Batch == d.Batch && c.Step == d.Step &&
		c.Model.Visible == d.Model.Visible && c.Model.Hidden == d.Model.Hidden &&
		eq(c.Model.W, d.Model.W) && eq(c.Model.B, d.Model.B) && eq(c.Model.C, d.Model.C) &&
		eq(c.vel, d.vel) && eq(c.velB, d.velB) && eq(c.velC, d.velC) && eq(c.q, d.q) && eq(c.chains, d.chains)
}
