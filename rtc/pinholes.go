package rtc

import (
	"math"
	"time"

	"github.com/pion/webrtc/v4"
)

// pion's ICE agent checks each candidate pair every 200 ms while connecting
// (ice v4.4.8, not configurable) and gives a pair up after 7 unanswered
// checks, about 1.6 s. The joiner's agent starts when it makes the reply,
// long before the inviter's starts (when the reply is pasted): by then the
// joiner has gone quiet, and its NAT has closed the pinholes its early
// checks opened (Linux forgets an unanswered UDP mapping after 30 s, home
// routers after 30 s to a few minutes), so the inviter's checks are
// dropped and the call never connects. The joiner therefore checks on for
// as long as it waits for the reply: its own checks keep its pinholes
// open, and the inviter's first check gets through.
const iceCheckInterval = 200 * time.Millisecond

// keepCheckingWhileWaiting makes the agent go on checking every pair for
// wait, instead of giving up after pion's default 7 checks.
func keepCheckingWhileWaiting(se *webrtc.SettingEngine, wait time.Duration) {
	n := int64(wait/iceCheckInterval) + 7
	if n > math.MaxUint16 {
		n = math.MaxUint16
	}
	se.SetICEMaxBindingRequests(uint16(n))
}
