// Package profile is the --cpuprofile and --memprofile flags both
// front-ends take: a CPU profile of the whole run and a heap profile at its
// end, for `go tool pprof`.
package profile

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Flags are where to write the profiles; empty for none.
type Flags struct {
	CPU, Heap string
}

// Register adds --cpuprofile and --memprofile to fs.
func (p *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&p.CPU, "cpuprofile", "", "write a CPU profile of the run to this file")
	fs.StringVar(&p.Heap, "memprofile", "", "write a heap profile to this file at the end of the run")
}

// Start begins the CPU profile, if asked for; the returned stop ends it
// and writes the heap profile. stop is never nil.
func (p *Flags) Start() (stop func(), err error) {
	var cpu *os.File
	if p.CPU != "" {
		if cpu, err = os.Create(p.CPU); err != nil {
			return func() {}, fmt.Errorf("cpu profile: %w", err)
		}
		if err = pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return func() {}, fmt.Errorf("cpu profile: %w", err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if p.Heap != "" {
			f, err := os.Create(p.Heap)
			if err != nil {
				fmt.Fprintf(os.Stderr, "peercall: heap profile: %v\n", err)
				return
			}
			runtime.GC() // the profile shows what is live
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}, nil
}
