package rtc

import "testing"

func TestStateNamesRoundTrip(t *testing.T) {
	for st := StateNew; st <= StateEnded; st++ {
		if got := ParseState(st.String()); got != st {
			t.Errorf("%v parses back as %v", st, got)
		}
	}
	if ParseState("dancing") != StateUnknown || State(99).String() != "unknown" {
		t.Error("unknown names and values must map to unknown")
	}
}
