package vp8

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// zeropagesCheck is a C program linked with zeropages_linux.c, whose
// memset its own calls then resolve to, as libvpx's do in Peercall.
const zeropagesCheck = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "zeropages.h"

static long resident(unsigned char *p, size_t n) {
  long page = sysconf(_SC_PAGESIZE), count = 0;
  unsigned char *start = (unsigned char *)((unsigned long)p & ~(page - 1));
  size_t pages = (p + n - start + page - 1) / page;
  unsigned char *vec = malloc(pages);
  if (mincore(start, p + n - start, vec) != 0) { perror("mincore"); exit(2); }
  for (size_t i = 0; i < pages; i++) count += vec[i] & 1;
  free(vec);
  return count * page;
}

// check zeroes [off, off+n) of a dirty buffer and says whether exactly
// those bytes changed.
static int check(unsigned char *buf, size_t size, size_t off, size_t n, int c) {
  memset(buf, 0xab, size);
  memset(buf + off, c, n);
  for (size_t i = 0; i < size; i++) {
    unsigned char want = (i >= off && i < off + n) ? (unsigned char)c : 0xab;
    if (buf[i] != want) {
      printf("byte %zu of %zu (set %zu+%zu to %d) is %d, not %d\n", i, size, off, n, c, buf[i], want);
      return 0;
    }
  }
  return 1;
}

int main(void) {
  size_t size = 24 << 20;
  unsigned char *buf = malloc(size);
  size_t offs[] = {0, 1, 13, 4096, 4097};
  size_t lens[] = {(1 << 20) - 1, 1 << 20, (3 << 20) + 77, (20 << 20) - 4096};
  for (int on = 0; on <= 1; on++) {
    pc_zero_by_release(on);
    for (int i = 0; i < 5; i++)
      for (int j = 0; j < 4; j++)
        if (!check(buf, size, offs[i], lens[j], 0) || !check(buf, size, offs[i], lens[j], 7)) return 1;
  }
  // A fresh large buffer zeroed while on stays out of memory; zeroed
  // while off, it is all resident.
  for (int on = 0; on <= 1; on++) {
    size_t n = 22 << 20;
    unsigned char *fresh = malloc(n);
    pc_zero_by_release(on);
    memset(fresh, 0, n);
    pc_zero_by_release(0);
    printf("%s %ld\n", on ? "released" : "written", resident(fresh, n));
    free(fresh);
  }
  return 0;
}
`

// A large zeroing memset on a thread that asked for it gives whole pages
// back instead of writing them, and every byte still ends as asked: the
// zeroed range zero, the bytes around it untouched, at any alignment. A
// memset of another value, or on a thread that did not ask, writes.
func TestZeroingByReleaseKeepsEveryByte(t *testing.T) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("needs a C compiler: %v", err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "check.c")
	if err := os.WriteFile(src, []byte(zeropagesCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "check")
	if out, err := exec.Command(cc, "-O2", "-I.", "-o", bin, src, "zeropages_linux.c", "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("building the check: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var written, released int
	for _, line := range strings.Split(string(out), "\n") {
		fmt.Sscanf(line, "written %d", &written)
		fmt.Sscanf(line, "released %d", &released)
	}
	if written < 20<<20 || released > 1<<20 {
		t.Errorf("22 MB zeroed: %d bytes resident when written, %d when released (want ≥ 20 MB, ≤ 1 MB)\n%s", written, released, out)
	}
}

// Opening a 1280×720 encoder leaves little of what libvpx allocated in
// memory, where it used to add 24 MB (its token buffer, zeroed whole),
// and the pictures it then encodes come out as well as before.
func TestOpeningAnEncoderTakesLittleMemory(t *testing.T) {
	before := residentMB(t)
	enc := mustEncoder(t, EncoderConfig{Width: 1280, Height: 720, Threads: 1})
	opened := residentMB(t)
	if grew := opened - before; grew > 10 {
		t.Errorf("opening a 1280×720 encoder took %.1f MB of memory (want ≤ 10; libvpx's zeroing alone made it 24)", grew)
	}
	dec := mustDecoder(t)
	s := newScene(1280, 720)
	var img *image.YCbCr
	var total float64
	decoded := 0
	for n := 0; n < 30; n++ {
		img = s.frame(n, img)
		frame, _, err := enc.Encode(img, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(frame) == 0 {
			continue
		}
		got, err := dec.Decode(frame)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		total += lumaPSNR(img, got)
		decoded++
	}
	if decoded < 25 || total/float64(decoded) < 30 {
		t.Errorf("%d of 30 pictures decoded, luma PSNR %.1f dB on average (want ≥ 25, ≥ 30 dB)", decoded, total/float64(max(decoded, 1)))
	}
	t.Logf("resident: %.1f MB before, %.1f after opening, %.1f after 30 pictures", before, opened, residentMB(t))
}

func residentMB(t *testing.T) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscan(v, &kb)
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
