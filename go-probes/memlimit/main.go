// Command memlimit is the ground truth for EXP-05's container run: it builds a live heap of
// -live MiB, then allocates -garbage MiB more in 1 MiB pieces that die at once, writing every
// page so the memory is really used (pages never written stay out of RSS). In a memory
// cgroup a little above -live, GOGC=100 alone lets the heap grow to about twice the live
// heap and the kernel kills the process; GOMEMLIMIT below the cgroup's limit makes the GC
// run more often instead. At the end it prints what the runtime counted:
//
//	memlimit-probe: live_mib=60 garbage_mib=400 numgc=N
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
)

const mib = 1 << 20

var live [][]byte

func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
}

func main() {
	liveMiB := flag.Int("live", 60, "MiB kept live")
	garbageMiB := flag.Int("garbage", 400, "MiB allocated and dropped after the live heap is built")
	flag.Parse()
	if *liveMiB < 0 || *garbageMiB < 0 {
		fmt.Fprintln(os.Stderr, "memlimit-probe: -live and -garbage must not be negative")
		os.Exit(2)
	}
	for i := 0; i < *liveMiB; i++ {
		b := make([]byte, mib)
		touch(b)
		live = append(live, b)
	}
	var sink []byte
	for i := 0; i < *garbageMiB; i++ {
		sink = make([]byte, mib)
		touch(sink)
	}
	_ = sink
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("memlimit-probe: live_mib=%d garbage_mib=%d numgc=%d\n", len(live), *garbageMiB, ms.NumGC)
}
