//go:build !cgo

package aec2

// Canceller is AEC2 for one mono microphone and the mono signal sent to the
// speaker. In this build (no cgo) New always fails with ErrNotBuilt, so no
// Canceller exists and its methods are never reached.
type Canceller struct{ cfg Config }

// New reports ErrNotBuilt, after ErrConfig if cfg is invalid.
func New(cfg Config) (*Canceller, error) {
	if _, err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	return nil, ErrNotBuilt
}

// Config returns the configuration in use.
func (c *Canceller) Config() Config { return c.cfg }

// Playback does nothing in this build.
func (c *Canceller) Playback(frame []int16) {}

// Capture copies mic to out in this build.
func (c *Canceller) Capture(mic []int16, out []int16) { copy(out, mic) }

// Delay reports no estimate in this build.
func (c *Canceller) Delay() (median, std int, ok bool) { return 0, 0, false }

// Stats returns zero counters in this build.
func (c *Canceller) Stats() Stats { return Stats{} }

// Close does nothing in this build.
func (c *Canceller) Close() error { return nil }
