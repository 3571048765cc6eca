package rtc

import (
	"net"
	"slices"
	"testing"

	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// machineNet is the real network with a made-up list of interfaces: what
// hostAddresses sees of a machine.
type machineNet struct {
	*stdnet.Net
	ifaces []*transport.Interface
}

func (m machineNet) Interfaces() ([]*transport.Interface, error) { return m.ifaces, nil }

// machine builds a machineNet from interface names and their addresses
// (CIDR), all up.
func machine(t *testing.T, ifaces map[string][]string) machineNet {
	t.Helper()
	n, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	m := machineNet{Net: n}
	names := make([]string, 0, len(ifaces))
	for name := range ifaces {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		flags := net.FlagUp
		if name == "lo" {
			flags |= net.FlagLoopback
		}
		iface := transport.NewInterface(net.Interface{Index: i + 1, Name: name, Flags: flags})
		for _, cidr := range ifaces[name] {
			ip, ipnet, err := net.ParseCIDR(cidr)
			if err != nil {
				t.Fatal(err)
			}
			ipnet.IP = ip
			iface.AddAddress(ipnet)
		}
		m.ifaces = append(m.ifaces, iface)
	}
	return m
}

func addrStrings(addrs []*net.UDPAddr) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

// Host candidates leave out the addresses of container and VM bridges and
// of loopback, unless nothing else is there or the interface is named.
func TestHostAddressesLeaveOutBridgesAndLoopback(t *testing.T) {
	laptop := map[string][]string{
		"lo":              {"127.0.0.1/8", "::1/128"},
		"wlp2s0":          {"192.168.1.23/24", "2001:db8:41:7::23/64", "fe80::1/64"},
		"docker0":         {"172.17.0.1/16"},
		"br-5f2a9c1e77d3": {"172.18.0.1/16"},
		"veth1a2b3c4":     {"fe80::2/64"},
		"virbr0":          {"192.168.122.1/24"},
		"vboxnet0":        {"192.168.56.1/24"},
		"lxdbr0":          {"10.10.10.1/24"},
		"podman1":         {"10.88.0.1/16"},
		"cni0":            {"10.22.0.1/16"},
		"tun0":            {"10.8.0.5/24"}, // a VPN: other machines
		"br0":             {"10.1.0.2/24"}, // the machine's own bridge to its LAN
	}
	for _, tc := range []struct {
		name   string
		ifaces map[string][]string
		named  []string
		want   []string
	}{
		{"laptop", laptop, nil, []string{"10.1.0.2:0", "10.8.0.5:0", "192.168.1.23:0", "[2001:db8:41:7::23]:0", "[fe80::1%wlp2s0]:0"}},
		{"only bridges", map[string][]string{"lo": {"127.0.0.1/8"}, "docker0": {"172.17.0.1/16"}}, nil, []string{"172.17.0.1:0"}},
		{"only loopback", map[string][]string{"lo": {"127.0.0.1/8", "::1/128"}}, nil, []string{"127.0.0.1:0"}},
		{"loopback named", laptop, []string{"lo"}, []string{"127.0.0.1:0"}},
		{"bridge named", laptop, []string{"docker0", "wlp2s0"}, []string{"172.17.0.1:0", "192.168.1.23:0", "[2001:db8:41:7::23]:0", "[fe80::1%wlp2s0]:0"}},
		{"veth in a test namespace", map[string][]string{"lo": {"127.0.0.1/8"}, "veth0": {"198.18.0.1/24"}}, nil, []string{"198.18.0.1:0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := hostAddresses(machine(t, tc.ifaces), tc.named)
			if err != nil {
				t.Fatal(err)
			}
			if s := addrStrings(got); !slices.Equal(s, tc.want) {
				t.Errorf("host addresses = %v, want %v", s, tc.want)
			}
		})
	}
}

// All host sockets share one port, so a code writes it once; a new
// connection binds the same addresses and ports again.
func TestHostSocketsShareOnePort(t *testing.T) {
	n := machine(t, map[string][]string{"lo": {"127.0.0.1/8", "127.0.0.2/8", "127.0.0.3/8"}})
	var k sockets
	logs := logging.NewDefaultLoggerFactory()
	m, err := k.mux(n, []string{"lo"}, logs)
	if err != nil {
		t.Fatal(err)
	}
	first := addrStrings(m.(*hostMux).bound())
	if err := closeMux(m); err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 {
		t.Fatalf("bound %v, want three sockets", first)
	}
	for _, a := range k.addrs {
		if a.Port == 0 || a.Port != k.addrs[0].Port {
			t.Errorf("host sockets on %v, want one port", first)
		}
	}
	m, err = k.mux(n, []string{"lo"}, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer closeMux(m)
	if again := addrStrings(m.(*hostMux).bound()); !slices.Equal(again, first) {
		t.Errorf("second connection on %v, first on %v", again, first)
	}
}
