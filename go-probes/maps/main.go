// Command maps is the ground truth for EXP-07: the same map operations on whatever map the
// toolchain builds (a bucket map up to Go 1.23 and with GOEXPERIMENT=noswissmap on 1.24 and
// 1.25, a swiss map from 1.24 on), in phases whose counts are known:
//
//	insert   -maps fresh maps (make without a size hint), each given -n distinct keys: the
//	         growths this causes follow from -n alone (tests/runtime/maps_test.cpp)
//	hit      every key looked up -lookups times, its value read and checked
//	miss     as many lookups of keys that are not there
//	churn    every key deleted, then inserted again (tombstones on a swiss map)
//	sharded  -g goroutines reading and writing -shards maps behind one sync.RWMutex each,
//	         -writes percent of the operations writes, for -d seconds
//
// -phases chooses which run, in that order. Keys are int64 or strings (-keys). Each phase
// begins with a call of main.phaseBegin and ends with main.phaseEnd (never inlined: a
// tracer marks phase boundaries there), and main.watched is the first map of the insert
// phase, a global a tracer can read; -hold keeps the process, and its maps, for that many
// seconds after the phases. At the end it prints what it did, one line per phase and a total:
//
//	maps-probe: phase=insert ops=N ns_per_op=T
//	maps-probe: keys=int64 n=N maps=M lookups=L inserts=I hits=H misses=X deletes=D sharded_ops=S
//	maps-probe: elapsed_s=T (the phases, set-up and -hold left out; tools/bench-exp reads it)
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The maps a tracer can watch: the first map of the insert phase, by key type.
var (
	watched    map[int64]int64
	watchedStr map[string]int64
)

var sink atomic.Int64

//go:noinline
func phaseBegin(name string) { sink.Add(int64(len(name))) }

//go:noinline
func phaseEnd(name string, ops int64) { sink.Add(ops) }

type counts struct {
	inserts, hits, misses, deletes, lookups, sharded int64
}

// ops abstracts the key type so that every phase is written once. Each map is built and
// used with its own key type, so the compiler emits the fast paths of that type
// (mapaccess1_fast64, mapassign_faststr, ...).
type ops interface {
	fresh(m int)                   // -maps new maps, no size hint
	insert(m, i int)               // key i into map m
	lookup(m, i int) (int64, bool) // key i in map m, and its value (read, as most code does)
	remove(m, i int)
	length(m int) int
}

type intMaps struct{ ms []map[int64]int64 }

// Keys are spread over the int64 range by an odd multiplier (a bijection mod 2^64): key i
// and key -i-1 never collide, and negative i are the misses.
func ikey(i int) int64 { return int64(i)*0x5851F42D4C957F2D + 1 }

func (o *intMaps) fresh(m int) {
	o.ms = make([]map[int64]int64, m)
	for i := range o.ms {
		o.ms[i] = make(map[int64]int64)
	}
	watched = o.ms[0]
}
func (o *intMaps) insert(m, i int)               { o.ms[m][ikey(i)] = int64(i) }
func (o *intMaps) lookup(m, i int) (int64, bool) { v, ok := o.ms[m][ikey(i)]; return v, ok }
func (o *intMaps) remove(m, i int)               { delete(o.ms[m], ikey(i)) }
func (o *intMaps) length(m int) int              { return len(o.ms[m]) }

type strMaps struct {
	ms     []map[string]int64
	keys   []string // key i, built once so that lookups do not allocate
	absent []string // key -i-1: the misses
}

func (o *strMaps) fresh(m int) {
	o.ms = make([]map[string]int64, m)
	for i := range o.ms {
		o.ms[i] = make(map[string]int64)
	}
	watchedStr = o.ms[0]
}
func (o *strMaps) key(i int) string {
	if i < 0 {
		return o.absent[-i-1]
	}
	return o.keys[i]
}
func (o *strMaps) insert(m, i int)               { o.ms[m][o.key(i)] = int64(i) }
func (o *strMaps) lookup(m, i int) (int64, bool) { v, ok := o.ms[m][o.key(i)]; return v, ok }
func (o *strMaps) remove(m, i int)               { delete(o.ms[m], o.key(i)) }
func (o *strMaps) length(m int) int              { return len(o.ms[m]) }

func main() {
	keys := flag.String("keys", "int64", "int64 or string")
	n := flag.Int("n", 1<<16, "keys per map")
	nmaps := flag.Int("maps", 1, "maps in the insert phase")
	lookups := flag.Int("lookups", 4, "lookups of every key in the hit phase")
	phases := flag.String("phases", "insert,hit,miss,churn", "insert, hit, miss, churn, sharded")
	g := flag.Int("g", 4, "goroutines of the sharded phase")
	shards := flag.Int("shards", 8, "maps of the sharded phase")
	writes := flag.Int("writes", 10, "percent of the sharded phase's operations that write")
	seconds := flag.Float64("d", 1, "seconds of the sharded phase")
	hold := flag.Float64("hold", 0, "seconds to wait at the end, the maps kept (for a tracer's reads)")
	flag.Parse()
	if *n < 1 || *nmaps < 1 || *lookups < 0 || *g < 1 || *shards < 1 || *writes < 0 ||
		*writes > 100 || *seconds <= 0 || *hold < 0 {
		fmt.Fprintln(os.Stderr, "maps-probe: -n, -maps, -g, -shards at least 1; -lookups not "+
			"negative; -writes 0-100; -d positive; -hold not negative")
		os.Exit(2)
	}
	var o ops
	switch *keys {
	case "int64":
		o = &intMaps{}
	case "string":
		s := &strMaps{keys: make([]string, *n), absent: make([]string, *n)}
		for i := range s.keys {
			s.keys[i] = "key-" + strconv.Itoa(i)
			s.absent[i] = "miss-" + strconv.Itoa(i)
		}
		o = s
	default:
		fmt.Fprintf(os.Stderr, "maps-probe: unknown -keys %q: int64 or string\n", *keys)
		os.Exit(2)
	}
	want := map[string]bool{}
	for _, p := range strings.Split(*phases, ",") {
		switch p {
		case "insert", "hit", "miss", "churn", "sharded":
			want[p] = true
		default:
			fmt.Fprintf(os.Stderr, "maps-probe: unknown phase %q: insert, hit, miss, churn, sharded\n", p)
			os.Exit(2)
		}
	}
	if (want["hit"] || want["miss"] || want["churn"]) && !want["insert"] {
		fmt.Fprintln(os.Stderr, "maps-probe: hit, miss and churn need the insert phase")
		os.Exit(2)
	}

	var c counts
	var total time.Duration
	run := func(name string, body func() int64) {
		if !want[name] {
			return
		}
		phaseBegin(name)
		start := time.Now()
		done := body()
		elapsed := time.Since(start)
		total += elapsed
		phaseEnd(name, done)
		per := 0.0
		if done > 0 {
			per = float64(elapsed.Nanoseconds()) / float64(done)
		}
		fmt.Printf("maps-probe: phase=%s ops=%d ns_per_op=%.1f\n", name, done, per)
	}
	run("insert", func() int64 {
		o.fresh(*nmaps)
		for m := 0; m < *nmaps; m++ {
			for i := 0; i < *n; i++ {
				o.insert(m, i)
			}
			if o.length(m) != *n {
				fmt.Fprintf(os.Stderr, "maps-probe: map %d has %d keys, not %d\n", m, o.length(m), *n)
				os.Exit(1)
			}
		}
		c.inserts += int64(*nmaps) * int64(*n)
		return int64(*nmaps) * int64(*n)
	})
	run("hit", func() int64 {
		var done int64
		for r := 0; r < *lookups; r++ {
			for m := 0; m < *nmaps; m++ {
				for i := 0; i < *n; i++ {
					if v, ok := o.lookup(m, i); ok && v == int64(i) {
						c.hits++
					}
					done++
				}
			}
		}
		c.lookups += done
		return done
	})
	run("miss", func() int64 {
		var done int64
		for r := 0; r < *lookups; r++ {
			for m := 0; m < *nmaps; m++ {
				for i := 0; i < *n; i++ {
					if _, ok := o.lookup(m, -i-1); !ok {
						c.misses++
					}
					done++
				}
			}
		}
		c.lookups += done
		return done
	})
	run("churn", func() int64 {
		for m := 0; m < *nmaps; m++ {
			for i := 0; i < *n; i++ {
				o.remove(m, i)
			}
			for i := 0; i < *n; i++ {
				o.insert(m, i)
			}
		}
		c.deletes += int64(*nmaps) * int64(*n)
		c.inserts += int64(*nmaps) * int64(*n)
		return 2 * int64(*nmaps) * int64(*n)
	})
	run("sharded", func() int64 { return sharded(*g, *shards, *n, *writes, *seconds, &c) })

	fmt.Printf("maps-probe: keys=%s n=%d maps=%d lookups=%d inserts=%d hits=%d misses=%d "+
		"deletes=%d sharded_ops=%d\n", *keys, *n, *nmaps, c.lookups, c.inserts, c.hits,
		c.misses, c.deletes, c.sharded)
	fmt.Printf("maps-probe: elapsed_s=%.4f\n", total.Seconds())
	if *hold > 0 {
		time.Sleep(time.Duration(*hold * float64(time.Second)))
	}
	sink.Add(int64(len(watched) + len(watchedStr)))
}

// sharded runs g goroutines on shards int64 maps, each behind its own RWMutex, for the
// given seconds; writes percent of the operations are inserts of keys in [0, n).
func sharded(g, shards, n, writes int, seconds float64, c *counts) int64 {
	type shard struct {
		mu sync.RWMutex
		m  map[int64]int64
	}
	ss := make([]shard, shards)
	for i := range ss {
		ss[i].m = make(map[int64]int64)
	}
	var stop atomic.Bool
	var total atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < g; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			x := seed*2654435761 + 1
			var done int64
			for !stop.Load() {
				for k := 0; k < 256; k++ {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					key := int64(x % uint64(n))
					s := &ss[int(x>>32)%shards]
					if int((x>>16)%100) < writes {
						s.mu.Lock()
						s.m[key] = key
						s.mu.Unlock()
					} else {
						s.mu.RLock()
						_ = s.m[key]
						s.mu.RUnlock()
					}
				}
				done += 256
			}
			total.Add(done)
		}(uint64(w + 1))
	}
	time.Sleep(time.Duration(seconds * float64(time.Second)))
	stop.Store(true)
	wg.Wait()
	c.sharded = total.Load()
	return c.sharded
}
