// Command preempt is the ground truth for EXP-02: with GOMAXPROCS=1, -goroutines goroutines
// spin in call-free loops for about -ms milliseconds of loop time in all. A call-free loop has
// no function prologue, so no synchronous preemption point: only sysmon's asynchronous
// preemption (retake -> preemptone -> SIGURG -> asyncPreempt) can take the one P away from
// a spinning goroutine, about every 10-20 ms (forcePreemptNS, src/runtime/proc.go, Go
// 1.19-1.27). With GODEBUG=asyncpreemptoff=1 nothing cuts them: each runs its loop to the end.
//
// The loops cannot read a clock (that is a call), so each does a fixed number of iterations,
// calibrated first on the main goroutine. Each iteration also reads the other goroutines'
// progress counters (atomic loads and stores are compiler intrinsics on amd64 and arm64, not
// calls): a goroutine that finds another one's counter moved since its previous iteration was
// switched out and back in. That count of switches is the workload's own account of the
// preemptions that handed the P from one loop to another. -iterations fixes the work instead
// (to compare a traced run with an untraced one). At the end it prints the loop time:
//
//	preempt-probe: goroutines=G switches=S iterations=N elapsed_s=T
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// One cache line each: the counters are only read by the other goroutines.
type progress struct {
	n atomic.Uint64
	_ [56]byte
}

// spin runs n iterations of a call-free loop; it returns how many times it found another
// goroutine's counter moved between two of its own iterations.
func spin(me int, all []progress, n uint64) uint64 {
	var last [16]uint64 // the other counters as this goroutine saw them last
	switches := uint64(0)
	for i := uint64(0); i < n; i++ {
		moved := false
		for j := range all {
			if j == me {
				continue
			}
			v := all[j].n.Load()
			if v != last[j&15] {
				moved = true
				last[j&15] = v
			}
		}
		if moved && i > 0 {
			switches++
		}
		all[me].n.Store(i + 1)
	}
	return switches
}

func main() {
	ms := flag.Int("ms", 2000, "loop time in all, in milliseconds")
	goroutines := flag.Int("goroutines", 2, "goroutines spinning at the same time (2-16)")
	iterations := flag.Uint64("iterations", 0, "iterations of each loop (0: from -ms)")
	flag.Parse()
	if *ms < 1 || *goroutines < 2 || *goroutines > 16 {
		fmt.Fprintln(os.Stderr, "preempt-probe: -ms must be positive and -goroutines 2 to 16")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(1)

	// Calibration: iterations per millisecond of this loop on this machine, alone on the P.
	all := make([]progress, *goroutines)
	const probe = 1 << 20
	start := time.Now()
	spin(0, all, probe)
	perMs := float64(probe) / (float64(time.Since(start).Nanoseconds()) / 1e6)
	for i := range all {
		all[i].n.Store(0)
	}
	each := uint64(perMs * float64(*ms) / float64(*goroutines))
	if *iterations > 0 {
		each = *iterations
	}

	var wg sync.WaitGroup
	var switches atomic.Uint64
	start = time.Now()
	for g := 0; g < *goroutines; g++ {
		wg.Add(1)
		go func(me int) {
			defer wg.Done()
			switches.Add(spin(me, all, each))
		}(g)
	}
	wg.Wait()
	fmt.Printf("preempt-probe: goroutines=%d switches=%d iterations=%d elapsed_s=%.6f\n",
		*goroutines, switches.Load(), each, time.Since(start).Seconds())
}
