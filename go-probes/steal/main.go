// Command steal is the ground truth for EXP-03: one goroutine (the spawner) keeps creating
// short goroutines on its own P while the other Ps have nothing of their own to run, so
// every goroutine another P runs was taken from the spawner's P: by work stealing
// (runtime.runqsteal from its local run queue) or from the global queue when the local one
// overflowed (runqputslow). At the end it prints exactly what it did:
//
//	steal-probe: created=N ran=N bursts=B gomaxprocs=P spawner_p=I spawner_share=S
//	process_created=C elapsed_s=T
//
// created counts every `go` statement of the spawner; process_created every goroutine of the
// process, the runtime's own and main included (runtime/metrics
// /sched/goroutines-created:goroutines, Go 1.26+; -1 where the runtime lacks it). With two Ps
// and the spawner holding its P, a goroutine is stolen at most once, so no count of stolen
// goroutines can exceed process_created. spawner_p is the P id the spawner ran on for most bursts, and spawner_share the
// fraction of created goroutines it spawned there: it reads its P id with runtime.procPin,
// which also keeps it on that P (no preemption) while it spawns a burst.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname
)

// procPin disables preemption of the calling goroutine and returns the id of its P;
// procUnpin enables it again. sync/atomic and sync.Pool use them (Go 1.19-1.27
// src/runtime/proc.go; Go 1.23+ marks them //go:linkname for outside packages, go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// maxPinned bounds how long the spawner holds off preemption (and so a GC's stop-the-world).
const maxPinned = time.Millisecond

// sink keeps work's loop from being optimised away.
var sink atomic.Uint64

// work is a short goroutine: a few microseconds of arithmetic.
func work(seed uint64, iters int, done *atomic.Int64) {
	x := seed | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink.Add(x & 1)
	done.Add(1)
}

func main() {
	bursts := flag.Int("bursts", 2000, "bursts of goroutines the spawner creates")
	burst := flag.Int("burst", 32, "goroutines in one burst")
	iters := flag.Int("iters", 2000, "loop iterations of each goroutine (about 1 ns each)")
	flag.Parse()
	if *bursts < 1 || *burst < 1 || *burst > 128 || *iters < 0 {
		fmt.Fprintln(os.Stderr, "steal-probe: -bursts must be positive, -burst in 1..128, -iters >= 0")
		os.Exit(2)
	}
	start := time.Now()
	var done atomic.Int64
	created := int64(0)
	spawnedOn := map[int]int64{}
	alone := runtime.GOMAXPROCS(0) == 1
	for b := 0; b < *bursts; b++ {
		// At most 128 at a time: a P's local run queue holds 256 (runtime.p.runq), so none
		// overflows to the global queue and what other Ps run they must steal.
		p := procPin()
		for i := 0; i < *burst; i++ {
			go work(uint64(created)+uint64(i), *iters, &done)
		}
		created += int64(*burst)
		spawnedOn[p] += int64(*burst)
		// Alone (GOMAXPROCS=1) the spawner yields, or nothing else runs. Otherwise it waits
		// for the burst on its P, spinning and pinned: a spawner that blocked, yielded or
		// was preempted would leave its P (another P may pick it up), and its P would run
		// its own queue instead of losing it to thieves. The pin also holds off a
		// stop-the-world, so it is let go every maxPinned for an instant.
		for done.Load() < created {
			if alone {
				procUnpin()
				runtime.Gosched()
				procPin()
				continue
			}
			deadline := time.Now().Add(maxPinned)
			for done.Load() < created && time.Now().Before(deadline) {
			}
			procUnpin()
			procPin()
		}
		procUnpin()
	}
	mainP, most := 0, int64(-1)
	for p, n := range spawnedOn {
		if n > most {
			mainP, most = p, n
		}
	}
	elapsed := time.Since(start).Seconds()
	all := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(all)
	processCreated := int64(-1)
	if all[0].Value.Kind() == metrics.KindUint64 {
		processCreated = int64(all[0].Value.Uint64())
	}
	fmt.Printf("steal-probe: created=%d ran=%d bursts=%d gomaxprocs=%d spawner_p=%d "+
		"spawner_share=%.3f process_created=%d elapsed_s=%.6f\n", created, done.Load(), *bursts,
		runtime.GOMAXPROCS(0), mainP, float64(most)/float64(created), processCreated, elapsed)
}
