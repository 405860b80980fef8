// Command trace is the ground truth for gri trace.
//
// Default mode: main.work is called exactly -n times, each call from a goroutine of its
// own. Every other call recurses deeply (main.grow, 64 frames of 512 B) before returning, so
// the goroutine's stack grows past its initial size and is copied to a new place while
// main.work is on it: a uretprobe's fake return address would be found by the stack copier
// and crash the program ("unexpected return pc"). At the end it prints its own check:
//
//	trace-probe: calls=N sum=S expected=S ok=true
//
// -bench M: calls main.small M times in one goroutine and prints the time per call, for the
// overhead benchmark (tools/bench-trace).
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

//go:noinline
func work(i int, deep bool) int {
	if deep {
		return grow(64, i)
	}
	return i
}

// grow returns v through depth frames of 512 B each.
//
//go:noinline
func grow(depth, v int) int {
	var pad [512]byte
	pad[depth%len(pad)] = byte(depth)
	if depth == 0 {
		return v
	}
	return grow(depth-1, v) + int(pad[depth%len(pad)]) - depth%256
}

//go:noinline
func small(i int) int { return i + 1 }

func main() {
	n := flag.Int("n", 2000, "calls of main.work, each from its own goroutine")
	bench := flag.Int("bench", 0, "instead: call main.small this many times and time it")
	flag.Parse()

	if *bench > 0 {
		start := time.Now()
		s := 0
		for i := 0; i < *bench; i++ {
			s += small(i)
		}
		elapsed := time.Since(start)
		fmt.Printf("trace-probe: bench calls=%d ns_per_call=%.1f total_s=%.6f sink=%d\n", *bench,
			float64(elapsed.Nanoseconds())/float64(*bench), elapsed.Seconds(), s)
		return
	}
	if *n < 0 {
		fmt.Fprintln(os.Stderr, "trace-probe: -n must not be negative")
		os.Exit(2)
	}

	var sum atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sum.Add(int64(work(i, i%2 == 1)))
		}(i)
	}
	wg.Wait()
	expected := int64(*n) * int64(*n-1) / 2
	fmt.Printf("trace-probe: calls=%d sum=%d expected=%d ok=%v\n", *n, sum.Load(), expected,
		sum.Load() == expected)
}
