// Command gcload is the GC-heavy "server-like" workload of the slowdown benchmarks
// (tools/bench-exp): hundreds of heap-triggered GC cycles a second on a small live heap,
// with the allocator, the write barrier, mutexes and timers all at work while the
// collector marks. -g goroutines share -n operations in all (the first n%g of them do one
// more), and each operation, drawn from a xorshift PRNG seeded per goroutine (the same
// sequence on every run), is:
//
//	get  (1 in 2)  look a key up in a sharded cache: -shards maps map[uint64][]byte, each
//	               under its own sync.Mutex, keys 0 to -keys-1, and read a byte of the value
//	put  (1 in 2)  allocate a fresh value of 8 B to 4 KB (a power of two from 8 to 4096
//	               drawn first, then a size up to it: mostly small objects, some large, so
//	               many size classes), store it under the key (the old value is garbage), and
//	               link a small node {key, value, prev} into a ring of -ring recent nodes of
//	               the goroutine: pointerful objects whose pointer fields are written (and the
//	               oldest one's prev cleared) while the GC marks, so the write barrier works
//	timer          every -timer-every operations one short timer (0 to 1 ms), by a PRNG bit
//	               time.AfterFunc (its callback counts) or time.NewTimer (its buffered
//	               channel is never read); by another bit stopped at once or left to fire
//
// The live heap is bounded by the key space (values of about 400 B on average: 2-3 MB with
// the maps at the default -keys, plus the rings), whatever GOGC is, so each cycle's goal
// stays a few MB and the allocation rate alone sets the number of cycles: hundreds a second
// (2 CPUs, the defaults: 280-390 cycles in 1.5-2 s on go1.19 to go1.27, heaps of 4-5 MB
// falling to 2 MB at each cycle's end, a goal of 5-6 MB). It never calls runtime.GC().
// At the end it prints
//
//	gcload-probe: ops=N numgc=M elapsed_s=T
//
// elapsed_s covers the operations only, not the start-up (gri's own start-up is not
// counted), and M is runtime.MemStats.NumGC read after the work, once the last cycle in
// flight has ended (it waits 50 ms, allocating nothing): run with GODEBUG=gctrace=1, the
// runtime prints one "gc K @..." line per completed cycle, and M equals their number.
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

// shard is one part of the cache, under its own lock; the padding keeps two shards' locks
// off one cache line.
type shard struct {
	mu sync.Mutex
	m  map[uint64][]byte
	_  [40]byte
}

// node is the pointerful object: written into the heap (prev) while the GC marks.
type node struct {
	key  uint64
	data []byte
	prev *node
}

var (
	fired int64  // AfterFunc callbacks run (sync/atomic)
	sink  uint64 // bytes read by gets, so the reads are not dropped (sync/atomic)
)

func main() {
	g := flag.Int("g", 8, "goroutines")
	n := flag.Int("n", 4000000, "operations in all, split among the goroutines")
	nshards := flag.Int("shards", 64, "cache shards, each a map under its own mutex")
	keys := flag.Int("keys", 4096, "keys in the cache (bounds the live heap)")
	ringLen := flag.Int("ring", 64, "recent nodes each goroutine keeps linked")
	timerEvery := flag.Int("timer-every", 64, "operations between two timers (0: no timers)")
	flag.Parse()
	if *g < 1 || *n < 1 || *nshards < 1 || *keys < 1 || *ringLen < 2 || *timerEvery < 0 {
		fmt.Fprintln(os.Stderr, "gcload-probe: -g, -n, -shards, -keys must be positive, -ring at least 2, -timer-every not negative")
		os.Exit(2)
	}

	shards := make([]shard, *nshards)
	for i := range shards {
		shards[i].m = make(map[uint64][]byte, *keys / *nshards + 1)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *g; w++ {
		ops := *n / *g
		if w < *n%*g {
			ops++
		}
		wg.Add(1)
		go func(w, ops int) {
			defer wg.Done()
			work(uint64(w), ops, shards, uint64(*keys), *ringLen, *timerEvery)
		}(w, ops)
	}
	wg.Wait()
	elapsed := time.Since(start)
	// A cycle may still be marking or ending (gctrace prints its line at the end of
	// gcMarkTermination, Go 1.26 src/runtime/mgc.go); nothing allocates any more, and the
	// timers (1 ms at most) are done by then, so no cycle starts while we wait.
	time.Sleep(50 * time.Millisecond)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("gcload-probe: ops=%d numgc=%d elapsed_s=%.6f\n", *n, ms.NumGC, elapsed.Seconds())
}

// work runs one goroutine's ops operations.
func work(id uint64, ops int, shards []shard, keys uint64, ringLen, timerEvery int) {
	// xorshift64*: a fixed seed per goroutine, never zero.
	x := 0x9E3779B97F4A7C15 ^ (id+1)*0xBF58476D1CE4E5B9
	next := func() uint64 {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		return x * 0x2545F4914F6CDD1D
	}
	ring := make([]*node, ringLen)
	head := 0
	var read uint64
	nshards := uint64(len(shards))
	for i := 0; i < ops; i++ {
		r := next()
		k := (r >> 8) % keys
		s := &shards[k%nshards]
		if r&1 == 0 {
			s.mu.Lock()
			v := s.m[k]
			s.mu.Unlock()
			if len(v) > 0 {
				read += uint64(v[len(v)-1])
			}
		} else {
			r2 := next()
			limit := uint64(8) << (r2 % 10) // 8 B to 4 KB
			size := 8 + (r2>>8)%(limit-7)
			v := make([]byte, size)
			v[0], v[size-1] = byte(k), byte(r2>>16)
			s.mu.Lock()
			s.m[k] = v
			s.mu.Unlock()
			// The oldest node leaves the ring; the next oldest lets go of it so the chain
			// stays ringLen long.
			head = (head + 1) % ringLen
			if older := ring[(head+1)%ringLen]; older != nil {
				older.prev = nil
			}
			ring[head] = &node{key: k, data: v, prev: ring[(head+ringLen-1)%ringLen]}
		}
		if timerEvery > 0 && i%timerEvery == timerEvery-1 {
			t := next()
			d := time.Duration(t%1000) * time.Microsecond
			if (t>>10)&1 == 0 {
				tm := time.AfterFunc(d, func() { atomic.AddInt64(&fired, 1) })
				if (t>>11)&1 == 0 {
					tm.Stop()
				}
			} else {
				tm := time.NewTimer(d)
				if (t>>11)&1 == 0 {
					tm.Stop()
				}
			}
		}
	}
	atomic.AddUint64(&sink, read)
}
