//go:build !race

package res_test

const raceEnabled = false
