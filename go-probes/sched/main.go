// Command sched is the ground truth for EXP-01: three ways for a program to be slow, each
// run for -d seconds, chosen with -mode:
//
//	cpu        4 x GOMAXPROCS goroutines compute without pause: more runnable goroutines
//	           than Ps, so every P is busy and the run queues are never empty.
//	lock       -workers goroutines take turns on one sync.Mutex, computing about 20 us
//	           inside it and 1 us outside: at most one of them makes progress, the others
//	           wait in sync.(*Mutex).Lock and the other Ps have nothing to run.
//	imbalance  one goroutine keeps 1000 short computing goroutines in flight, starting one
//	           more each time one ends: new goroutines go to the spawner's P (runqput),
//	           overflow half of its local queue to the global queue when it is full
//	           (runqputslow, at 256), and the other Ps steal or take from the global queue.
//
// With -n OPS it stops after that many operations instead (fixed work: elapsed_s is then what
// a tracer's slowdown is measured by). At the end it prints what it did:
//
//	sched-probe: mode=M gomaxprocs=P ops=N elapsed_s=T
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

// spin computes for about n iterations of a xorshift step (about 1 ns each) and returns the
// state so that the compiler keeps the loop.
func spin(x uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var sink atomic.Uint64

func main() {
	mode := flag.String("mode", "cpu", "cpu, lock or imbalance")
	seconds := flag.Float64("d", 3, "seconds to run")
	workers := flag.Int("workers", 8, "goroutines contending in -mode lock")
	total := flag.Int64("n", 0, "stop after this many ops instead of after -d (fixed work)")
	flag.Parse()
	if *seconds <= 0 || *workers < 2 || *total < 0 {
		fmt.Fprintln(os.Stderr, "sched-probe: -d must be positive, -workers at least 2, -n not negative")
		os.Exit(2)
	}
	var ops atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	switch *mode {
	case "cpu":
		for w := 0; w < 4*runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				x := seed
				for !stop.Load() {
					x = spin(x, 10000)
					ops.Add(1)
				}
				sink.Add(x)
			}(uint64(w + 1))
		}
	case "lock":
		var mu sync.Mutex
		shared := uint64(1)
		for w := 0; w < *workers; w++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				x := seed
				for !stop.Load() {
					mu.Lock()
					shared = spin(shared, 20000)
					mu.Unlock()
					x = spin(x, 1000)
					ops.Add(1)
				}
				sink.Add(x)
			}(uint64(w + 1))
		}
	case "imbalance":
		// One spawner keeps 1000 computing goroutines in flight: it starts them all, then
		// one more each time one finishes. The queues stay near 1000 instead of running a
		// sawtooth from 1000 to 0 per batch, whose period (about 10 ms on 2 Ps) is a divisor
		// of schedtrace's 100 ms: a sampler at that period sees the same phase every time
		// (measured go1.19 PIE, 5 runs of batches: schedtrace means 188 to 750).
		wg.Add(1)
		go func() {
			defer wg.Done()
			const inFlight = 1000
			done := make(chan struct{}, inFlight)
			running, seed := 0, uint64(0)
			for {
				for ; running < inFlight && !stop.Load(); running++ {
					seed++
					go func(seed uint64) {
						sink.Add(spin(seed, 20000))
						ops.Add(1)
						done <- struct{}{}
					}(seed)
				}
				if running == 0 {
					return
				}
				<-done
				running--
			}
		}()
	default:
		fmt.Fprintf(os.Stderr, "sched-probe: unknown -mode %q: cpu, lock or imbalance\n", *mode)
		os.Exit(2)
	}
	if *total > 0 {
		for ops.Load() < *total {
			time.Sleep(time.Millisecond)
		}
	} else {
		time.Sleep(time.Duration(*seconds * float64(time.Second)))
	}
	stop.Store(true)
	wg.Wait()
	fmt.Printf("sched-probe: mode=%s gomaxprocs=%d ops=%d elapsed_s=%.3f\n", *mode,
		runtime.GOMAXPROCS(0), ops.Load(), time.Since(start).Seconds())
}
