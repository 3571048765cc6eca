package media

// screenSourceName is the Name of a ScreenSource: the send loop tunes its
// encoder for screen content when it reads one.
const screenSourceName = "screen"

// bitrateRangeFor is BitrateRange for the source named. A shared screen
// runs at a low frame rate, but a page that changes needs as many bits as
// a camera at full rate: its ceiling is not lowered for the frame rate.
func bitrateRangeFor(source string, width, height, fps int) (minBps, maxBps int) {
	minBps, maxBps = BitrateRange(width, height, fps)
	if source == screenSourceName {
		_, maxBps = BitrateRange(width, height, 30)
	}
	return minBps, max(maxBps, minBps)
}
