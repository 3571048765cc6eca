package media

// screenSourceName is the Name of a ScreenSource: the send loop tunes its
// encoder for screen content when it reads one.
const screenSourceName = "screen"

// screenCeilingFactor raises a shared screen's bitrate ceiling above a
// camera's at 30 fps. A 1920×1080 page of 12-point text whose every line
// changed costs 3.4 Mbit at the quantizer that keeps it readable
// (media/vp8's screen tuning): at the camera's 2.5 Mbit/s a page takes
// well over a second to send, and pages changing every half second pile
// up. Simulated at 15 fps (encoder alone), pages changing every 0.53 s
// become readable within 200–800 ms at 2.5 Mbit/s and 66–266 ms at 3.8;
// a still screen sends next to nothing, so the higher ceiling is spent
// only on changes, and only when congestion control's estimate (what the
// path carries) allows it.
const screenCeilingFactor = 2

// bitrateRangeFor is BitrateRange for the source named. A shared screen
// runs at a low frame rate, but a page that changes needs more bits than
// a camera at full rate: its ceiling is screenCeilingFactor times the
// ceiling at 30 fps.
func bitrateRangeFor(source string, width, height, fps int) (minBps, maxBps int) {
	minBps, maxBps = BitrateRange(width, height, fps)
	if source == screenSourceName {
		_, maxBps = BitrateRange(width, height, 30)
		maxBps *= screenCeilingFactor
	}
	return minBps, max(maxBps, minBps)
}

// startLevel is the ladder level a shared screen starts at for the target
// bitrate given: the level the ladder would step down to anyway a second
// later, so that the share's first page is not sent twice (each new
// picture size starts with a keyframe of the whole screen). A camera
// starts at full size and steps down as the estimate shows.
func (c *ladderClimber) startLevel(targetBps, w, h, fps int) {
	for c.level < len(ladder)-1 {
		l := ladder[c.level]
		lw, lh := levelSize(w, h, l)
		if float64(targetBps) >= stepDownShare*nominalBps(lw, lh, float64(fps)/float64(l.every)) {
			return
		}
		c.level++
	}
}
