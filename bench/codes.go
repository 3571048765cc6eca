package bench

import (
	"bufio"
	"encoding/json"

	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"peercall/rtc/invite"
)

// Code lengths (issue 14): `peercall bench codes` makes an invite and a
// reply with the real app, gathering on this machine and, as root, on
// typical machines built as network namespaces (interfaces, addresses, a
// home router with NAT and a STUN server), and prints their lengths as
// JSON; the report makes the table and checks the target.

// CodeRun is the invite and the reply Peercall made on one machine.
type CodeRun struct {
	Machine     string `json:"machine"`
	Interfaces  string `json:"interfaces"` // what the machine has
	IPv4IPv6    bool   `json:"ipv4_ipv6"`  // IPv4 and IPv6 addresses, no NAT: the ≤ 80 target
	Invite      string `json:"invite,omitempty"`
	Reply       string `json:"reply,omitempty"`
	InviteChars int    `json:"invite_chars"`
	ReplyChars  int    `json:"reply_chars"`
	// The same codes in format version 2, as Peercall wrote them before.
	InviteV2Chars int      `json:"invite_v2_chars"`
	ReplyV2Chars  int      `json:"reply_v2_chars"`
	Candidates    []string `json:"candidates,omitempty"` // the invite's, "type address port"
	// On a typical machine: the lengths of the codes as made in the
	// namespace, before homeAddress was written in.
	InviteMadeChars int    `json:"invite_made_chars,omitempty"`
	ReplyMadeChars  int    `json:"reply_made_chars,omitempty"`
	Error           string `json:"error,omitempty"`
}

// codeTargetChars is the length a code from a machine with one IPv4 and
// one IPv6 address must not exceed (issue 14).
const codeTargetChars = 80

// homeAddress is how the typical machines' own IPv4 address is numbered
// in their namespaces (a range for testing, as every address the tests
// make), and the address a home router gives, which their codes are
// measured with: the same codes, that address written in (192.168/16 takes
// two bytes of a code, 198.18/15 four).
var homeAddress = [2]string{"198.18.1.23", "192.168.1.23"}

// codeMachine is a typical machine: the commands that build it (run with
// "ip" and "nft", each with its namespace) and the STUN server its app
// uses.
type codeMachine struct {
	name, interfaces string
	ipv4ipv6         bool
	stun             string
	build            func(m *netMaker) error
}

var codeMachines = []codeMachine{
	{name: "IPv4 only", interfaces: "eth0 198.18.1.23/24 (192.168.1.23 in the codes); docker0 198.19.17.1/24; lo", stun: "none",
		build: func(m *netMaker) error {
			h := m.ns("h")
			m.link(h, "eth0", "198.18.1.23/24")
			m.link(h, "docker0", "198.19.17.1/24")
			return m.err
		}},
	{name: "IPv4 + IPv6 (SLAAC and a temporary address)", ipv4ipv6: true, stun: "none",
		interfaces: "eth0 198.18.1.23/24 (192.168.1.23 in the codes), 2001:db8:41:7:a4c1:3bff:fe8e:5d21/64, 2001:db8:41:7:9a1:b2c3:d4e5:f607/64 (temporary), fe80::…/64; docker0 198.19.17.1/24; virbr0 198.19.122.1/24; lo",
		build: func(m *netMaker) error {
			h := m.ns("h")
			m.link(h, "eth0", "198.18.1.23/24", "2001:db8:41:7:a4c1:3bff:fe8e:5d21/64", "2001:db8:41:7:9a1:b2c3:d4e5:f607/64")
			m.link(h, "docker0", "198.19.17.1/24")
			m.link(h, "virbr0", "198.19.122.1/24")
			return m.err
		}},
	{name: "IPv4 + IPv6 (a static IPv6 address)", ipv4ipv6: true, stun: "none",
		interfaces: "eth0 198.18.1.23/24 (192.168.1.23 in the codes), 2001:db8:41:7::23/64, fe80::…/64; lo",
		build: func(m *netMaker) error {
			h := m.ns("h")
			m.link(h, "eth0", "198.18.1.23/24", "2001:db8:41:7::23/64")
			return m.err
		}},
	{name: "IPv4 + IPv6 behind a NAT, with STUN", stun: "stun:203.0.113.1:3478",
		interfaces: "eth0 198.18.1.23/24 (192.168.1.23 in the codes), 2001:db8:41:7:a4c1:3bff:fe8e:5d21/64, fe80::…/64, behind a home router (NAT to 203.0.113.11); a STUN server at 203.0.113.1; lo",
		build: func(m *netMaker) error {
			h, r, p := m.ns("h"), m.ns("r"), m.ns("p")
			m.ip(h, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", r)
			m.ip(r, "link", "add", "wan", "type", "veth", "peer", "name", "eth0", "netns", p)
			m.addrs(h, "eth0", "198.18.1.23/24", "2001:db8:41:7:a4c1:3bff:fe8e:5d21/64")
			m.addrs(r, "lan", "198.18.1.1/24")
			m.addrs(r, "wan", "203.0.113.11/24")
			m.addrs(p, "eth0", "203.0.113.1/24")
			m.ip(h, "route", "add", "default", "via", "198.18.1.1")
			m.run(strings.NewReader("table ip nat {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname \"wan\" masquerade\n\t}\n}\n"),
				"ip", "netns", "exec", r, "nft", "-f", "-")
			m.run(nil, "ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
			m.daemon(p, "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--stun-only",
				"--listening-ip", "203.0.113.1", "--listening-port", "3478", "--log-file", "stdout")
			return m.err
		}},
}

// codes runs `peercall bench codes`.
func codes(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench codes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usage("%v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var runs []CodeRun
	// This machine, as it is: every interface, no STUN server (the
	// default one is on the internet).
	here := CodeRun{Machine: "this machine", Interfaces: machineInterfaces()}
	here.fill(makeCodes(exe, nil, "none"))
	here.IPv4IPv6 = hasIPv4AndIPv6(here.Candidates)
	runs = append(runs, here)
	for _, cm := range codeMachines {
		run := CodeRun{Machine: cm.name, Interfaces: cm.interfaces, IPv4IPv6: cm.ipv4ipv6}
		if os.Geteuid() != 0 {
			run.Error = "not measured: needs root for the network namespaces"
			runs = append(runs, run)
			continue
		}
		m := &netMaker{prefix: fmt.Sprintf("pccodes%d-", os.Getpid())}
		if err := cm.build(m); err != nil {
			run.Error = err.Error()
		} else {
			run.fill(makeCodes(exe, []string{"ip", "netns", "exec", m.names[0]}, cm.stun))
			run.atHome()
		}
		m.close()
		runs = append(runs, run)
	}
	data, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", data)
	return err
}

// fill records an invite and a reply, or why there are none.
func (r *CodeRun) fill(inv, reply string, err error) {
	if err != nil {
		r.Error = err.Error()
		return
	}
	r.Invite, r.Reply, r.InviteChars, r.ReplyChars = inv, reply, len(inv), len(reply)
	if c, err := invite.Decode(inv); err == nil {
		for _, cand := range c.Candidates {
			r.Candidates = append(r.Candidates, cand.Type.String()+" "+cand.Address+" "+strconv.Itoa(int(cand.Port)))
		}
		r.InviteV2Chars = v2Length(c)
	}
	if c, err := invite.Decode(reply); err == nil {
		r.ReplyV2Chars = v2Length(c)
	}
}

// atHome writes homeAddress into the codes made in a namespace and
// measures them again, keeping the lengths as made.
func (r *CodeRun) atHome() {
	if r.Error != "" {
		return
	}
	r.InviteMadeChars, r.ReplyMadeChars = r.InviteChars, r.ReplyChars
	var home [2]string
	for i, code := range []string{r.Invite, r.Reply} {
		c, err := invite.Decode(code)
		if err != nil {
			r.Error = err.Error()
			return
		}
		for j := range c.Candidates {
			if c.Candidates[j].Address == homeAddress[0] {
				c.Candidates[j].Address = homeAddress[1]
			}
		}
		if home[i], err = invite.Encode(c); err != nil {
			r.Error = err.Error()
			return
		}
	}
	r.Candidates = nil
	r.fill(home[0], home[1], nil)
}

// v2Length is the length of c written in format version 2.
func v2Length(c *invite.Code) int {
	c.Version = 2
	s, err := invite.Encode(c)
	if err != nil {
		return 0
	}
	return len(s)
}

// makeCodes runs `peercall invite` and `peercall join` (each behind
// prefix, a command that enters a namespace) and returns the codes they
// print; the processes are ended before their call would start.
func makeCodes(exe string, prefix []string, stun string) (inv, reply string, err error) {
	flags := []string{"--source", "pattern", "--size", "320x240", "--fps", "15", "--stun", stun, "--seconds", "1"}
	start := func(args ...string) (*exec.Cmd, string, error) {
		argv := append(append(append([]string{}, prefix...), exe), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = io.Discard
		out, _ := cmd.StdoutPipe()
		if _, err := cmd.StdinPipe(); err != nil {
			return nil, "", err
		}
		if err := cmd.Start(); err != nil {
			return nil, "", err
		}
		line := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			if sc.Scan() {
				line <- strings.TrimSpace(sc.Text())
			}
			close(line)
			io.Copy(io.Discard, out)
		}()
		select {
		case s, ok := <-line:
			if ok && s != "" {
				return cmd, s, nil
			}
		case <-time.After(30 * time.Second):
		}
		stop(cmd)
		return nil, "", fmt.Errorf("peercall %s printed no code", args[0])
	}
	a, inv, err := start(append([]string{"invite"}, flags...)...)
	if err != nil {
		return "", "", err
	}
	defer stop(a)
	b, reply, err := start(append(append([]string{"join"}, flags...), inv)...)
	if err != nil {
		return "", "", err
	}
	stop(b)
	return inv, reply, nil
}

// stop ends a process this package started and waits for it.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// machineInterfaces describes this machine's interfaces and addresses,
// as `ip -br address` lists them.
func machineInterfaces() string {
	out, err := exec.Command("ip", "-br", "address").Output()
	if err != nil {
		return "?"
	}
	var parts []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 {
			parts = append(parts, f[0]+" "+strings.Join(f[2:], ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// hasIPv4AndIPv6 reports whether candidates ("type address port") name
// an IPv4 and an IPv6 address.
func hasIPv4AndIPv6(cands []string) bool {
	v4, v6 := false, false
	for _, c := range cands {
		f := strings.Fields(c)
		if len(f) == 3 {
			if strings.Contains(f[1], ":") {
				v6 = true
			} else if strings.Count(f[1], ".") == 3 {
				v4 = true
			}
		}
	}
	return v4 && v6
}

// netMaker builds network namespaces for one machine and removes them;
// the first error stops it.
type netMaker struct {
	prefix  string
	names   []string // the first is the machine's own
	sink    string   // where the far ends of link's links are
	links   int
	daemons []*exec.Cmd
	err     error
}

func (m *netMaker) run(stdin io.Reader, argv ...string) {
	if m.err != nil {
		return
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdin
	if out, err := cmd.CombinedOutput(); err != nil {
		m.err = fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
}

// ns makes a namespace with its loopback up.
func (m *netMaker) ns(suffix string) string {
	name := m.prefix + suffix
	m.run(nil, "ip", "netns", "add", name)
	if m.err == nil {
		m.names = append(m.names, name)
	}
	m.ip(name, "link", "set", "lo", "up")
	return name
}

func (m *netMaker) ip(ns string, args ...string) {
	m.run(nil, append([]string{"ip", "-n", ns}, args...)...)
}

// addrs adds addresses to a link (IPv6 ones usable at once) and sets it up.
func (m *netMaker) addrs(ns, dev string, cidrs ...string) {
	for _, c := range cidrs {
		args := []string{"addr", "add", c, "dev", dev}
		if strings.Contains(c, ":") {
			args = append(args, "nodad")
		}
		m.ip(ns, args...)
	}
	m.ip(ns, "link", "set", dev, "up")
}

// link makes an interface with addresses in ns: one end of a veth pair
// whose other end is up in a namespace of its own, as a link to a network
// that nothing else is on.
func (m *netMaker) link(ns, dev string, cidrs ...string) {
	if m.sink == "" {
		m.sink = m.ns("sink")
	}
	peer := fmt.Sprintf("p%d", len(m.names)+m.links)
	m.links++
	m.ip(ns, "link", "add", dev, "type", "veth", "peer", "name", peer, "netns", m.sink)
	m.ip(m.sink, "link", "set", peer, "up")
	m.addrs(ns, dev, cidrs...)
}

// daemon starts a server in a namespace, ended by close.
func (m *netMaker) daemon(ns string, argv ...string) {
	if m.err != nil {
		return
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	if err := cmd.Start(); err != nil {
		m.err = err
		return
	}
	m.daemons = append(m.daemons, cmd)
	time.Sleep(500 * time.Millisecond) // let it bind
}

func (m *netMaker) close() {
	for _, d := range m.daemons {
		stop(d)
	}
	for _, n := range m.names {
		_ = exec.Command("ip", "netns", "del", n).Run()
	}
}

// readCodes reads codes.json.
func readCodes(path string) ([]CodeRun, error) {
	var runs []CodeRun
	err := readJSON(path, &runs)
	return runs, err
}

// codesTarget: the longest invite or reply made on a machine with IPv4
// and IPv6 addresses and no NAT: this machine when it has both (the
// machine of issue 14, whose codes were 92 and 97 characters), and the
// typical machines built so.
func codesTarget(runs []CodeRun) Target {
	t := Target{What: "code from a machine with IPv4 and IPv6 addresses, the longest invite or reply",
		Goal: "≤ " + strconv.Itoa(codeTargetChars) + " characters", Limit: codeTargetChars, Measured: "not measured"}
	worst, where := 0, ""
	for _, r := range runs {
		if !r.IPv4IPv6 || r.Error != "" {
			continue
		}
		if n := max(r.InviteChars, r.ReplyChars); n > worst {
			worst, where = n, r.Machine
		}
	}
	if where == "" {
		return t
	}
	met := worst <= codeTargetChars
	t.Met, t.Value = &met, float64(worst)
	t.Measured = fmt.Sprintf("%d characters (%s)", worst, where)
	return t
}

// codesMarkdown is the section on code lengths.
func codesMarkdown(runs []CodeRun) string {
	var b strings.Builder
	b.WriteString("\n## Code lengths\n\n")
	b.WriteString("`peercall bench codes`: the app's own invite and reply (format version ")
	b.WriteString(strconv.Itoa(invite.CurrentVersion))
	b.WriteString(", docs/CODES.md), made\nby `peercall invite` and `peercall join` gathering on this machine and, as root, on typical\n")
	b.WriteString("machines built as network namespaces. Characters include `PC`; \"format 2\" is the same\n")
	b.WriteString("candidates written in the format Peercall wrote before. The fixed part of a code (header,\n")
	b.WriteString("fingerprint, checksum; the session tag in a reply) takes 51 characters of an invite and\n")
	b.WriteString("52 of a reply.\n\n")
	fmt.Fprintf(&b, "In the namespaces a typical machine's own IPv4 address is %s (a range for testing);\n", homeAddress[0])
	fmt.Fprintf(&b, "its codes are given with the %s a home router gives written in, and re-encoded\n", homeAddress[1])
	b.WriteString("(as made, in parentheses: two or three characters more for a 198.18/15 address).\n\n")
	b.WriteString("| machine | its interfaces | invite | reply | format 2 | the invite's candidates |\n|---|---|---|---|---|---|\n")
	for _, r := range runs {
		if r.Error != "" {
			fmt.Fprintf(&b, "| %s | %s | – | – | – | %s |\n", r.Machine, r.Interfaces, r.Error)
			continue
		}
		inv, rep := strconv.Itoa(r.InviteChars), strconv.Itoa(r.ReplyChars)
		if r.InviteMadeChars > 0 {
			inv += fmt.Sprintf(" (%d)", r.InviteMadeChars)
			rep += fmt.Sprintf(" (%d)", r.ReplyMadeChars)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d / %d | %s |\n", r.Machine, r.Interfaces, inv, rep,
			r.InviteV2Chars, r.ReplyV2Chars, strings.Join(r.Candidates, "; "))
	}
	return b.String()
}
