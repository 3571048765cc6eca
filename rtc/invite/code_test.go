package invite

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	for _, tc := range encodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.code)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if tc.text != "" && got != tc.text {
				t.Errorf("Encode =\n%s\nwant\n%s", got, tc.text)
			}
			if got != tc.code.String() {
				t.Errorf("String() differs from Encode")
			}
			if len(got) > MaxCodeLength {
				t.Errorf("length %d > MaxCodeLength", len(got))
			}
			// Encoding the decoded code gives the same text.
			dec, err := Decode(got)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if again := mustEncode(dec); again != got {
				t.Errorf("re-encoded =\n%s\nwant\n%s", again, got)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text
			if text == "" && tc.code != nil {
				text = mustEncode(tc.code)
			}
			got, err := Parse(text, tc.want, tc.ours)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Parse error = %v, want %v", err, tc.err)
				}
				if got != nil {
					t.Errorf("Parse returned a code with an error")
				}
				if !strings.HasPrefix(err.Error(), tc.err.Error()) {
					t.Errorf("message %q does not start with the sentinel's", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want := complete(tc.code); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", *got, *want)
			}
			if tc.want == KindUnknown && tc.ours == nil {
				d, err := Decode(text)
				if err != nil || !reflect.DeepEqual(d, got) {
					t.Errorf("Decode differs from Parse without context: %v", err)
				}
			}
		})
	}
}

// Every cut of a real code is reported as cut short (or, for cuts inside
// "PC", as not a code).
func TestTruncated(t *testing.T) {
	for _, tc := range encodeCases() {
		text := mustEncode(tc.code)
		for n := 0; n < len(text); n++ {
			_, err := Decode(text[:n])
			var want error
			switch {
			case n == 0:
				want = ErrEmpty
			case n < len(Prefix):
				want = ErrNotCode
			default:
				want = ErrTruncated
			}
			if !errors.Is(err, want) {
				t.Fatalf("%s cut to %d chars: %v, want %v", tc.name, n, err, want)
			}
		}
	}
}

// Every single-character substitution of a real code is caught. Changes in
// the first block may read as another version or length; later ones are
// damage.
func TestSubstitutions(t *testing.T) {
	for _, tc := range encodeCases() {
		text := mustEncode(tc.code)
		for i := len(Prefix); i < len(text); i++ {
			for j := 0; j < len(alphabet); j++ {
				if alphabet[j] == text[i] {
					continue
				}
				bad := text[:i] + alphabet[j:j+1] + text[i+1:]
				_, err := Decode(bad)
				if err == nil {
					t.Fatalf("%s: substitution at %d to %c not caught", tc.name, i, alphabet[j])
				}
				if i >= len(Prefix)+11 && !errors.Is(err, ErrDamaged) {
					t.Fatalf("%s: substitution at %d: %v, want ErrDamaged", tc.name, i, err)
				}
			}
		}
	}
}

// The size target: four IPv4 host candidates plus one srflx fit in 120
// characters, for an invite and a reply. The lengths are documented in
// docs/CODES.md.
func TestCodeSizes(t *testing.T) {
	for _, c := range []*Code{inviteTypical, replyTypical} {
		s := mustEncode(c)
		t.Logf("%v, 4 IPv4 host + 1 srflx, derived credentials: %d characters", c.Kind, len(s))
		if len(s) > 120 {
			t.Errorf("%v is %d characters, want <= 120", c.Kind, len(s))
		}
	}
	for _, tc := range encodeCases() {
		t.Logf("%-22s %3d bytes %3d characters", tc.name, len(rawPayload(mustEncode(tc.code))), len(mustEncode(tc.code)))
	}
}

func TestBlockSizes(t *testing.T) {
	for n := 0; n <= 8; n++ {
		// minimal k with 58^k >= 256^n
		k, p, q := 0, 1.0, 1.0
		for i := 0; i < n; i++ {
			q *= 256
		}
		for p < q {
			p *= 58
			k++
		}
		if blockChars[n] != k {
			t.Errorf("blockChars[%d] = %d, want %d", n, blockChars[n], k)
		}
	}
	// A code cut short keeps its leading bytes: the blocks before the cut
	// decode unchanged.
	text := mustEncode(inviteTypical)
	full := rawPayload(text)
	cut := rawPayload(text[:len(Prefix)+33])
	if !reflect.DeepEqual(full[:24], cut) {
		t.Errorf("leading blocks changed by a cut")
	}
	// The largest block values.
	if got := string(appendBlocks(nil, []byte{255, 255, 255, 255, 255, 255, 255, 255})); got != "jpXCZedGfVQ" {
		t.Errorf("max block = %s", got)
	}
	if got := string(appendBlocks(nil, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0})); got != "1111111111111" {
		t.Errorf("zero blocks = %s", got)
	}
}

// Pinned derivations, so another implementation can check itself.
func TestDerivations(t *testing.T) {
	var fp [32]byte
	for i := range fp {
		fp[i] = byte(i)
	}
	sid := SessionIDFor(fp)
	ufrag, pwd := DeriveCredentials(fp)
	t.Logf("fp 00..1f: session id %x, ufrag %s, pwd %s", sid, ufrag, pwd)
	if hex.EncodeToString(sid[:]) != "6ab77cd9" || ufrag != "4V7EkBEs" || pwd != "tiwT8kVh4xeASwfJTUQvbckuDFgfrDHB" {
		t.Errorf("derivations changed: %x %s %s", sid, ufrag, pwd)
	}
	if port := HostPort(fp); port != 64062 {
		t.Errorf("host port changed: %d", port)
	}
	if !validICEString(ufrag, minUfrag) || !validICEString(pwd, minPwd) {
		t.Errorf("derived credentials are not valid ICE credentials")
	}
}

func TestEncodeErrors(t *testing.T) {
	long := &Code{Kind: KindInvite, Fingerprint: fpA}
	for i := range 40 {
		long.Candidates = append(long.Candidates, Candidate{CandidateHost, "10.0.1." + itoa(i), uint16(1000 + i)})
	}
	for name, c := range map[string]*Code{
		"nil":             nil,
		"unknown kind":    {Fingerprint: fpA},
		"future version":  {Version: 4, Kind: KindInvite},
		"passive invite":  {Kind: KindInvite, SetupPassive: true},
		"only ufrag":      {Kind: KindInvite, Ufrag: "abcd"},
		"short pwd":       {Kind: KindInvite, Ufrag: "abcd", Pwd: "short"},
		"bad ufrag char":  {Kind: KindInvite, Ufrag: "ab:cd", Pwd: strings.Repeat("p", 22)},
		"port zero":       {Kind: KindInvite, Candidates: []Candidate{{CandidateHost, "10.0.0.1", 0}}},
		"bad type":        {Kind: KindInvite, Candidates: []Candidate{{CandidateType(4), "10.0.0.1", 1}}},
		"bad address":     {Kind: KindInvite, Candidates: []Candidate{{CandidateHost, "a b", 1}}},
		"empty address":   {Kind: KindInvite, Candidates: []Candidate{{CandidateHost, "", 1}}},
		"too long":        long,
		"hostname length": {Kind: KindInvite, Candidates: []Candidate{{CandidateHost, strings.Repeat("a", 254), 1}}},
	} {
		if s, err := Encode(c); err == nil {
			t.Errorf("%s: Encode = %s, want an error", name, s)
		}
		if c != nil && !strings.HasPrefix(c.String(), "<invalid") {
			t.Errorf("%s: String() = %s", name, c.String())
		}
	}
}

func TestStrings(t *testing.T) {
	for v, want := range map[interface{ String() string }]string{
		KindUnknown: "unknown", KindInvite: "invite", KindReply: "reply", Kind(9): "Kind(9)",
		CandidateHost: "host", CandidateSrflx: "srflx", CandidatePrflx: "prflx", CandidateRelay: "relay", CandidateType(7): "CandidateType(7)",
	} {
		if got := v.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
