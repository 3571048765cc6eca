//go:build race

package res_test

// raceEnabled: the race detector slows the suppressor about tenfold.
const raceEnabled = true
