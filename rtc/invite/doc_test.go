package invite

import (
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docVectors are the test vectors of docs/CODES.md, section 9, by letter.
var docVectors = map[string]*Code{
	"A": inviteTypical, "B": replyTypical, "C": replyBrowser,
	"D": invite2, "E": reply2, "F": replyBrowser2, "G": inviteMixed2,
	"H": invite3, "I": reply3, "J": invite3NAT, "K": replyBrowser3,
}

// docCode matches a code in the text of docs/CODES.md.
var docCode = regexp.MustCompile(`PC[1-9A-HJ-NP-Za-km-z]{30,}`)

// docs/CODES.md cannot go stale: every code block in it holds a code that
// decodes to the payload written below it and is what Encode writes for
// one of the vectors, every vector is there, every SDP example is what the
// code before it stands for, and the sizes table gives each vector's size.
func TestDocVectors(t *testing.T) {
	data, err := os.ReadFile("../../docs/CODES.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	want := map[string]string{} // code text → vector letter
	for letter, c := range docVectors {
		want[mustEncode(c)] = letter
	}
	seen := map[string]bool{}
	blocks := strings.Split(doc, "```")
	sdps := 0
	for i := 1; i < len(blocks); i += 2 {
		lines := strings.Split(strings.TrimPrefix(blocks[i], "\n"), "\n")
		switch {
		case strings.HasPrefix(lines[0], Prefix):
			code := lines[0]
			letter, ok := want[code]
			if !ok {
				t.Errorf("docs/CODES.md has code %s, which is none of the vectors' encodings", code)
				continue
			}
			seen[letter] = true
			got, err := Decode(code)
			if err != nil {
				t.Errorf("vector %s does not decode: %v", letter, err)
				continue
			}
			if v := complete(docVectors[letter]).Version; got.Version != v {
				t.Errorf("vector %s: version %d, want %d", letter, got.Version, v)
			}
			payload, ok := strings.CutPrefix(lines[1], "payload ")
			if b := hex.EncodeToString(rawPayload(code)); !ok || payload != b {
				t.Errorf("vector %s: the payload line is %q, the code's payload %s", letter, lines[1], b)
			}
		case lines[0] == "v=0" && !strings.Contains(blocks[i], "<S>"): // not the template
			sdps++
			before := docCode.FindAllString(strings.Join(blocks[:i], "```"), -1)
			if len(before) == 0 {
				t.Errorf("SDP example %d has no code before it", sdps)
				continue
			}
			c, err := Decode(before[len(before)-1])
			if err != nil {
				t.Errorf("the code before SDP example %d: %v", sdps, err)
				continue
			}
			if got, doc := c.Description().SDP, strings.Join(lines, "\r\n"); got != doc {
				t.Errorf("SDP example %d is not what its code stands for:\n%s\nwant\n%s", sdps, doc, got)
			}
		}
	}
	for letter := range docVectors {
		if !seen[letter] {
			t.Errorf("vector %s is not in docs/CODES.md; its code is %s", letter, mustEncode(docVectors[letter]))
		}
	}
	if sdps == 0 {
		t.Errorf("no SDP example found")
	}
	// The sizes table: "| D — … | bytes | characters |".
	rows := regexp.MustCompile(`(?m)^\| ([A-K]) — [^|]* \| (\d+) \| (\d+) \|$`).FindAllStringSubmatch(doc, -1)
	if len(rows) != len(docVectors) {
		t.Errorf("the sizes table has %d vector rows, want %d", len(rows), len(docVectors))
	}
	for _, r := range rows {
		text := mustEncode(docVectors[r[1]])
		if r[2] != strconv.Itoa(len(rawPayload(text))) || r[3] != strconv.Itoa(len(text)) {
			t.Errorf("sizes table: vector %s is %s bytes, %s characters; it is %d, %d", r[1], r[2], r[3], len(rawPayload(text)), len(text))
		}
	}
}
