package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The impaired-link figures: `make bench` runs e2e's
// BenchmarkImpairedLinks, which makes two calls' worth of network
// namespaces joined by Peercall's link emulator (e2e/linkemu) and writes
// what each call did, second by second, to links.json; the report turns
// it into the section on lossy and capped links.

// LinkRun is one call over an impaired link.
type LinkRun struct {
	Name     string     `json:"name"`
	LossPct  float64    `json:"loss_pct"`  // random loss, each way
	DelayMs  float64    `json:"delay_ms"`  // one way
	JitterMs float64    `json:"jitter_ms"` // each packet's delay within delay ± jitter
	CapKbps  float64    `json:"cap_kbps"`  // 0: no rate cap
	Seconds  int        `json:"seconds"`
	Sides    []LinkSide `json:"sides"` // inviter, then joiner
}

// LinkSide is one side of a call over an impaired link: what its sender
// did and what it received.
type LinkSide struct {
	Name            string       `json:"name"`
	PerSecond       []LinkSecond `json:"per_second"`
	DecodedFPS      float64      `json:"decoded_fps"`
	LongestFreezeMs float64      `json:"longest_freeze_ms"`
	LatencyP50Ms    float64      `json:"latency_ms_p50"` // over the last 10 s
	LatencyP95Ms    float64      `json:"latency_ms_p95"`
	LinkKbps        float64      `json:"link_kbps"` // what its direction of the link carried, on average
}

// LinkSecond is one statistics line of a side.
type LinkSecond struct {
	TargetKbps float64 `json:"target_kbps"` // the encoder's target
	SendWidth  int     `json:"send_width"`
	SendHeight int     `json:"send_height"`
	SendFPS    float64 `json:"send_fps"`
	FPS        float64 `json:"fps"` // decoded from the other side
}

// settledFrom is the second from which a call is judged: the estimate
// climbs from its first guess to the encoder's ceiling in about 12 s.
const settledFrom = 20

// TargetMedian is the median of the side's encoder target from
// settledFrom on, kbit/s.
func (s LinkSide) TargetMedian() float64 {
	var xs []float64
	for i, l := range s.PerSecond {
		if i >= settledFrom && l.TargetKbps > 0 {
			xs = append(xs, l.TargetKbps)
		}
	}
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// FullSizeShare is the share of seconds from settledFrom on in which the
// side sent the given picture size at the given frame rate or more.
func (s LinkSide) FullSizeShare(w, h int, fps float64) float64 {
	n, full := 0, 0
	for i, l := range s.PerSecond {
		if i < settledFrom {
			continue
		}
		n++
		if l.SendWidth == w && l.SendHeight == h && l.SendFPS >= fps {
			full++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(full) / float64(n)
}

func linkRunByLoss(runs []LinkRun, lossPct float64) (LinkRun, bool) {
	for _, r := range runs {
		if r.CapKbps == 0 && r.LossPct == lossPct {
			return r, true
		}
	}
	return LinkRun{}, false
}

func linkRunCapped(runs []LinkRun) (LinkRun, bool) {
	for _, r := range runs {
		if r.CapKbps > 0 {
			return r, true
		}
	}
	return LinkRun{}, false
}

// worstSide applies f to each side and keeps the lowest (low) or highest.
func worstSide(r LinkRun, f func(LinkSide) float64, low bool) float64 {
	var v float64
	for i, s := range r.Sides {
		x := f(s)
		if i == 0 || (low && x < v) || (!low && x > v) {
			v = x
		}
	}
	return v
}

// linkTargets are the goals on impaired links: on 5 % random loss the
// full picture and the clean link's rate, and short freezes; behind a
// 500 kbit/s cap a target under it.
func linkTargets(runs []LinkRun, add func(what, goal string, value, limit float64, atMost bool, unit string, measured bool)) {
	clean, okClean := linkRunByLoss(runs, 0)
	lossy, okLossy := linkRunByLoss(runs, 5)
	ratio := 0.0
	if okClean && okLossy {
		ref := worstSide(clean, LinkSide.TargetMedian, false)
		if ref > 0 {
			ratio = 100 * worstSide(lossy, LinkSide.TargetMedian, true) / ref
		}
	}
	add("5 % random loss each way, 80 ms round trip, reordering jitter: encoder target against the clean link's", "≥ 80 %", ratio, 80, false, " %", okClean && okLossy)
	full := worstSide(lossy, func(s LinkSide) float64 { return 100 * s.FullSizeShare(640, 480, 30) }, true)
	add("5 % random loss: time sending 640×480@30", "≥ 95 %", full, 95, false, " %", okLossy)
	freeze := worstSide(lossy, func(s LinkSide) float64 { return s.LongestFreezeMs }, false)
	add("5 % random loss: longest freeze", "≤ 200 ms", freeze, 200, true, " ms", okLossy)
	capped, okCap := linkRunCapped(runs)
	last := worstSide(capped, func(s LinkSide) float64 {
		if len(s.PerSecond) == 0 {
			return 0
		}
		return s.PerSecond[len(s.PerSecond)-1].TargetKbps
	}, false)
	add("500 kbit/s cap: encoder target at the end", "≤ 500 kbit/s", last, 500, true, " kbit/s", okCap)
	p95 := worstSide(capped, func(s LinkSide) float64 { return s.LatencyP95Ms }, false)
	add("500 kbit/s cap: glass to glass p95 over the last 10 s", "≤ 300 ms", p95, 300, true, " ms", okCap)
}

// linksMarkdown is the section on impaired links.
func linksMarkdown(runs []LinkRun) string {
	var b strings.Builder
	b.WriteString("\n## Lossy and capped links\n\n")
	b.WriteString("`go test -run '^$' -bench ImpairedLinks -benchtime 1x ./e2e`: two-way 640×480@30 calls\n")
	b.WriteString("with the test pattern between two network namespaces joined by Peercall's link\n")
	b.WriteString("emulator (e2e/linkemu), each the same both ways: random loss with 40 ms ± 5 ms of\n")
	b.WriteString("one-way delay drawn for every packet on its own (so packets overtake one another,\n")
	b.WriteString("as netem's jitter makes them), no rate cap; and a 500 kbit/s cap with a second's\n")
	b.WriteString("queue and 10 ms each way. The encoder's target is what congestion control gives\n")
	b.WriteString("the video (the test pattern uses 500–800 kbit/s of it whatever it gets); its\n")
	fmt.Fprintf(&b, "ceiling at 640×480@30 is 1700 kbit/s. Figures from second %d on, both sides'\n", settledFrom)
	b.WriteString("worse unless named.\n\n")
	b.WriteString("| link | encoder target, median | time at 640×480@30 | decoded frame rate | longest freeze | glass to glass p50 / p95 (last 10 s) | link carried |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| %s | %s kbit/s | %s %% | %s fps | %s ms | %s / %s ms | %s kbit/s |\n", r.Name,
			f0(worstSide(r, LinkSide.TargetMedian, true)),
			f0(worstSide(r, func(s LinkSide) float64 { return 100 * s.FullSizeShare(640, 480, 30) }, true)),
			f1(worstSide(r, func(s LinkSide) float64 { return s.DecodedFPS }, true)),
			f0(worstSide(r, func(s LinkSide) float64 { return s.LongestFreezeMs }, false)),
			f0(worstSide(r, func(s LinkSide) float64 { return s.LatencyP50Ms }, false)),
			f0(worstSide(r, func(s LinkSide) float64 { return s.LatencyP95Ms }, false)),
			f0(worstSide(r, func(s LinkSide) float64 { return s.LinkKbps }, false)))
	}
	b.WriteString("\nThe inviter's encoder target (kbit/s) and the picture it sent, every 5 s:\n\n")
	b.WriteString("| second |")
	for _, r := range runs {
		fmt.Fprintf(&b, " %s |", r.Name)
	}
	b.WriteString("\n|---|")
	for range runs {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	longest := 0
	for _, r := range runs {
		if len(r.Sides) > 0 {
			longest = max(longest, len(r.Sides[0].PerSecond))
		}
	}
	for i := 4; i < longest; i += 5 {
		fmt.Fprintf(&b, "| %d |", i+1)
		for _, r := range runs {
			if len(r.Sides) == 0 || i >= len(r.Sides[0].PerSecond) {
				b.WriteString(" |")
				continue
			}
			l := r.Sides[0].PerSecond[i]
			fmt.Fprintf(&b, " %s · %d×%d@%s |", f0(l.TargetKbps), l.SendWidth, l.SendHeight, f0(l.SendFPS))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
