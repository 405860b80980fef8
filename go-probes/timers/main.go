// Command timers is the ground truth for EXP-08: -g goroutines (all of them started together,
// one on each P while there are enough Ps) each run -n rounds of timer calls whose numbers
// follow from the flags alone. A round, in this order:
//
//	sleep      time.Sleep(d)
//	afterfunc  t := time.AfterFunc(d, f), kept; its callback f fires once
//	reset      on rounds r with r%churn == churn-1 (n/churn rounds of each goroutine; none
//	           with -churn 0) t is instead made by time.AfterFunc(1h, f) and then at once
//	           t.Reset(d): a 1-hour timer cannot have fired, so Reset always finds it pending
//	           (and returns true; false ends the program, exit 1) and f fires once, d after
//	           the Reset. The timer's due time moves earlier (timerModifiedEarlier before Go
//	           1.23, timerModified and a new minWhenModified from 1.23 on).
//	stop       s := time.AfterFunc(1h, f2) (a second AfterFunc), then s.Stop(): it removes a
//	           pending timer, so it returns true (false ends the program, exit 1)
//	after      select { case <-time.After(d): case <-never: }, never a channel nobody sends on
//
// So, with -g G -n N -churn C: sleeps=G*N afterfuncs=2*G*N (both AfterFunc calls of each
// round) resets=G*(N/C) stops=G*N afters=G*N fired=G*N (AfterFunc callbacks run: the kept
// timer of every round, Reset or not; the stopped ones never fire). Before the rounds,
// -idle H AfterFunc timers due 1 to 2 hours later (math/rand seeded per goroutine), made by
// the goroutines while each holds its own P (H/G each), are never stopped: each P's heap then
// holds about H/G timers that outlive the rounds, for a heap-shape check (-hold keeps them).
// They are counted as idle=H, not in afterfuncs.
//
// What each call runs in the runtime (runtime/time.go, time/sleep.go):
//
//	Go 1.19-1.22  per-P heap p.timers []*timer under p.timersLock, 4-ary (siftupTimer,
//	              siftdownTimer). Sleep: timeSleep, then resetForSleep -> resettimer ->
//	              modtimer (the goroutine's own g.timer, added again by doaddtimer each time).
//	              AfterFunc and After (NewTimer): time.startTimer -> runtime.startTimer ->
//	              addtimer. Reset: time.resetTimer -> resettimer -> modtimer. Stop:
//	              time.stopTimer -> deltimer, which only marks the timer timerDeleted: it
//	              leaves the heap later (cleantimers, adjusttimers, runtimer, or
//	              clearDeletedTimers once more than a quarter of a heap is deleted).
//	              Run: checkTimers -> runtimer -> runOneTimer -> f (goroutineReady for Sleep,
//	              goFunc for AfterFunc, which starts a goroutine for the callback, sendTime
//	              for After).
//	Go 1.23+      per-P timers struct, heap []timerWhen under timers.mu, still 4-ary
//	              ((*timers).siftUp, siftDown). Sleep: timeSleep, then resetForSleep ->
//	              (*timer).reset -> modify -> maybeAdd -> (*timers).addHeap. AfterFunc:
//	              time.newTimer -> runtime.newTimer -> modify -> maybeAdd. Reset:
//	              time.resetTimer -> runtime.resetTimer -> reset -> modify. Stop:
//	              time.stopTimer -> runtime.stopTimer -> (*timer).stop, which marks a heaped
//	              timer a zombie (removed later by cleanHead, adjust, deleteMin). Run:
//	              (*timers).check -> run -> (*timer).unlockAndRun -> f. After (NewTimer) is
//	              newTimer -> modify too, but a channel timer (asynctimerchan=0: the default
//	              for a go line >= 1.23, the only mode in 1.27) enters a heap only while a
//	              goroutine blocks on its channel (select -> blockTimerChan -> maybeAdd); a
//	              select that finds it already due runs it from maybeRunChan, no heap at all.
//	              With asynctimerchan=1 (a go line < 1.23 on 1.23-1.26) NewTimer passes no
//	              channel to the runtime and the timer is added at once like AfterFunc's.
//
// Stopped timers can thus sit in a heap for a while as deleted entries or zombies. The only
// other runtime timer in this program is the background scavenger's (mgcscavenge.go), plus,
// with -hold, the main goroutine's one time.Sleep after the counts are printed.
//
// -impl global runs the same rounds against a user-space timer implementation of the shape
// Go had before Go 1.14: one global 4-ary min-heap (parent (i-1)/4) behind one sync.Mutex,
// and one runner goroutine that sleeps until the earliest due time and runs the due callbacks
// outside the lock, one after the other in the runner itself (the runtime's AfterFunc runs
// each in a new goroutine). Sleep adds an entry whose callback closes a channel and waits on
// it, After one whose callback sends on a buffered channel, Reset moves a pending entry
// (fix-up in place), Stop removes it by its index; the idle timers go there too. Every
// acquisition of the mutex goes through globalHeap.lock, which counts it, and when TryLock
// fails counts a wait and its time until Lock returns (summed over all goroutines, so wait_s
// can exceed elapsed_s). The runner sleeps on one runtime time.Timer (NewTimer once, then
// Reset to the next due time and, when woken early by a new earliest entry, Stop): its
// calls are the runtime timer calls left under -impl global, besides the scavenger's.
//
// Lateness, both impls: each kept timer's due time is taken on the program's monotonic
// clock just before the AfterFunc (or the Reset) plus d, and its callback records now - due.
//
// The main goroutine waits for the rounds and for every callback (a sync.WaitGroup), then
// prints, on stdout (unbuffered: each line is one write):
//
//	timers-probe: impl=runtime g=G n=N d=200us sleeps=S afterfuncs=A resets=R stops=T afters=F fired=X idle=H
//	late_us p50=P p99=Q max=M samples=K      (AfterFunc callbacks, microseconds)
//	lock acquisitions=A waits=W wait_s=S     (-impl global only: the rounds' acquisitions)
//	elapsed_s=T                              (the rounds: idle timers and -hold left out)
//
// and then, with -hold, sleeps that long before it exits, the idle timers still pending.
// main.phaseBegin (never inlined) is called with "idle", "rounds" and "hold" as each part
// begins, for a tracer's phase marks: the rounds' counts are exactly those printed.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var sink atomic.Int64

//go:noinline
func phaseBegin(name string) { sink.Add(int64(len(name))) }

// base is the origin of the program's own clock: mono() is monotonic nanoseconds since it.
var base = time.Now()

func mono() int64 { return int64(time.Since(base)) }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "timers-probe: "+format+"\n", args...)
	os.Exit(1)
}

// The calls made, by kind, and the callbacks run.
var sleeps, afterfuncs, resets, stops, afters, fired, idle atomic.Int64

// Lateness samples: one slot per kept timer, each filled once by its callback.
var (
	lateNs  []int64
	lateIdx atomic.Int64
	firing  sync.WaitGroup // one per kept timer, Done in its callback
)

// kept is a round's kept AfterFunc timer: when it is due, in mono() nanoseconds.
type kept struct{ due atomic.Int64 }

func (k *kept) fire() {
	late := mono() - k.due.Load()
	i := lateIdx.Add(1) - 1
	if i >= int64(len(lateNs)) {
		fail("more AfterFunc callbacks than kept timers")
	}
	lateNs[i] = late
	fired.Add(1)
	firing.Done()
}

func neverFires() { fail("a stopped timer fired") }

// handle is a timer the rounds keep: *time.Timer, or a *gtimer of -impl global.
type handle interface {
	Reset(time.Duration) bool
	Stop() bool
}

// clock is the timer implementation the rounds call.
type clock interface {
	Sleep(time.Duration)
	AfterFunc(time.Duration, func()) handle
	After(time.Duration) <-chan time.Time
}

type runtimeClock struct{}

func (runtimeClock) Sleep(d time.Duration)                      { time.Sleep(d) }
func (runtimeClock) AfterFunc(d time.Duration, f func()) handle { return time.AfterFunc(d, f) }
func (runtimeClock) After(d time.Duration) <-chan time.Time     { return time.After(d) }

// gtimer is an entry of the global heap.
type gtimer struct {
	when  int64 // due, in mono() nanoseconds
	f     func()
	index int // position in globalHeap.heap, -1 when not in it
	h     *globalHeap
}

// globalHeap is the user-space baseline: one 4-ary min-heap behind one mutex.
type globalHeap struct {
	mu   sync.Mutex
	heap []*gtimer
	wake chan struct{} // capacity 1: a new earliest entry, for the runner

	// Under mu.
	acquisitions, waits, waitNs int64
}

// lock takes mu; every acquisition goes through here.
func (h *globalHeap) lock() {
	if !h.mu.TryLock() {
		t0 := time.Now()
		h.mu.Lock()
		h.waits++
		h.waitNs += int64(time.Since(t0))
	}
	h.acquisitions++
}

func (h *globalHeap) notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

func (h *globalHeap) siftUp(i int) bool {
	t, moved := h.heap[i], false
	for i > 0 {
		p := (i - 1) / 4
		if h.heap[p].when <= t.when {
			break
		}
		h.heap[i] = h.heap[p]
		h.heap[i].index = i
		i, moved = p, true
	}
	h.heap[i] = t
	t.index = i
	return moved
}

func (h *globalHeap) siftDown(i int) {
	t, n := h.heap[i], len(h.heap)
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < n; k++ {
			if h.heap[k].when < h.heap[m].when {
				m = k
			}
		}
		if h.heap[m].when >= t.when {
			break
		}
		h.heap[i] = h.heap[m]
		h.heap[i].index = i
		i = m
	}
	h.heap[i] = t
	t.index = i
}

func (h *globalHeap) push(t *gtimer) {
	h.heap = append(h.heap, t)
	h.siftUp(len(h.heap) - 1)
}

func (h *globalHeap) removeAt(i int) {
	last := len(h.heap) - 1
	t := h.heap[i]
	if i != last {
		h.heap[i] = h.heap[last]
		h.heap[i].index = i
	}
	h.heap[last] = nil
	h.heap = h.heap[:last]
	t.index = -1
	if i < last && !h.siftUp(i) {
		h.siftDown(i)
	}
}

func (h *globalHeap) add(t *gtimer, when int64) {
	h.lock()
	t.when = when
	h.push(t)
	first := t.index == 0
	h.mu.Unlock()
	if first {
		h.notify()
	}
}

// Reset makes t due d from now; it reports whether t was pending.
func (t *gtimer) Reset(d time.Duration) bool {
	h := t.h
	h.lock()
	pending := t.index >= 0
	t.when = mono() + int64(d)
	if pending {
		if !h.siftUp(t.index) {
			h.siftDown(t.index)
		}
	} else {
		h.push(t)
	}
	first := t.index == 0
	h.mu.Unlock()
	if first {
		h.notify()
	}
	return pending
}

// Stop removes t if it is pending and reports whether it was.
func (t *gtimer) Stop() bool {
	h := t.h
	h.lock()
	pending := t.index >= 0
	if pending {
		h.removeAt(t.index)
	}
	h.mu.Unlock()
	return pending
}

// run is the runner: it takes the due entries out under the lock, runs them outside it, and
// otherwise sleeps on one runtime timer until the earliest entry is due or a new earliest
// entry wakes it. A stale wake-up only makes it look again.
func (h *globalHeap) run() {
	alarm := time.NewTimer(time.Hour)
	alarm.Stop() // pending, so true, and nothing in alarm.C
	var due []*gtimer
	for {
		h.lock()
		now := mono()
		for len(h.heap) > 0 && h.heap[0].when <= now {
			due = append(due, h.heap[0])
			h.removeAt(0)
		}
		next := int64(-1)
		if len(h.heap) > 0 {
			next = h.heap[0].when
		}
		h.mu.Unlock()
		if len(due) > 0 {
			for i, t := range due {
				t.f()
				due[i] = nil
			}
			due = due[:0]
			continue // time passed while they ran
		}
		if next < 0 {
			<-h.wake
			continue
		}
		alarm.Reset(time.Duration(next - now))
		select {
		case <-alarm.C:
		case <-h.wake:
			// Before Go 1.23 semantics (asynctimerchan=1) a timer that has fired may still
			// be sending: Stop is false and the value comes. With synchronous timer
			// channels Stop drains an unreceived value and returns true.
			if !alarm.Stop() {
				<-alarm.C
			}
		}
	}
}

type globalClock struct{ h *globalHeap }

func (c globalClock) newTimer(f func()) *gtimer { return &gtimer{f: f, index: -1, h: c.h} }

func (c globalClock) Sleep(d time.Duration) {
	done := make(chan struct{})
	c.h.add(c.newTimer(func() { close(done) }), mono()+int64(d))
	<-done
}

func (c globalClock) AfterFunc(d time.Duration, f func()) handle {
	t := c.newTimer(f)
	c.h.add(t, mono()+int64(d))
	return t
}

func (c globalClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.h.add(c.newTimer(func() { ch <- time.Now() }), mono()+int64(d))
	return ch
}

// barrier holds goroutines until all n have arrived. They spin, so with no more goroutines
// than Ps each of them holds a P of its own when it is released; with more they yield while
// they wait (runtime.Gosched) so that the others can arrive. The last to arrive calls last
// before it releases the others.
type barrier struct {
	arrived  atomic.Int64
	released atomic.Bool
}

func (b *barrier) wait(n int, yield bool, last func()) {
	if b.arrived.Add(1) == int64(n) {
		last()
		b.released.Store(true)
		return
	}
	for !b.released.Load() {
		if yield {
			runtime.Gosched()
		}
	}
}

func percentile(sorted []int64, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100 // nearest rank
	if i < 1 {
		i = 1
	}
	return float64(sorted[i-1]) / 1e3
}

func main() {
	g := flag.Int("g", runtime.GOMAXPROCS(0), "goroutines, started together, spread over the Ps")
	n := flag.Int("n", 200, "rounds per goroutine")
	churn := flag.Int("churn", 20, "Reset the kept timer on every churn-th round (0: never)")
	d := flag.Duration("d", 200*time.Microsecond, "timer duration")
	idleN := flag.Int("idle", 0, "AfterFunc timers due in 1-2 hours, made before the rounds, "+
		"never stopped")
	hold := flag.Duration("hold", 0, "sleep this long after printing, the idle timers pending")
	implName := flag.String("impl", "runtime",
		"runtime (the Go runtime's timers) or global (one heap, one mutex)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "timers-probe: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if *g < 1 || *n < 0 || *churn < 0 || *idleN < 0 || *d <= 0 || *hold < 0 {
		fmt.Fprintln(os.Stderr, "timers-probe: -g at least 1; -n, -churn, -idle, -hold not "+
			"negative; -d positive")
		os.Exit(2)
	}
	var clk clock
	var gh *globalHeap
	switch *implName {
	case "runtime":
		clk = runtimeClock{}
	case "global":
		gh = &globalHeap{wake: make(chan struct{}, 1)}
		clk = globalClock{gh}
		go gh.run()
	default:
		fmt.Fprintf(os.Stderr, "timers-probe: unknown -impl %q: runtime or global\n", *implName)
		os.Exit(2)
	}

	G, N, C, D := *g, *n, *churn, *d
	lateNs = make([]int64, G*N)
	firing.Add(G * N)
	yield := G > runtime.GOMAXPROCS(0)
	var ready, start barrier
	var startNs int64 // set by the last goroutine at the start barrier, read after workers.Wait
	never := make(chan struct{})
	var workers sync.WaitGroup
	for w := 0; w < G; w++ {
		workers.Add(1)
		go func(w int) {
			defer workers.Done()
			ready.wait(G, yield, func() { phaseBegin("idle") })
			// This goroutine's share of the idle timers, on the P it holds now.
			rng := rand.New(rand.NewSource(int64(w) + 1))
			share := *idleN / G
			if w < *idleN%G {
				share++
			}
			for i := 0; i < share; i++ {
				clk.AfterFunc(time.Hour+time.Duration(rng.Int63n(int64(time.Hour))), neverFires)
				idle.Add(1)
			}
			start.wait(G, yield, func() {
				if gh != nil { // the lock figures cover the rounds
					gh.mu.Lock()
					gh.acquisitions, gh.waits, gh.waitNs = 0, 0, 0
					gh.mu.Unlock()
				}
				phaseBegin("rounds")
				startNs = mono()
			})
			for r := 0; r < N; r++ {
				clk.Sleep(D)
				sleeps.Add(1)

				k := &kept{}
				if C > 0 && r%C == C-1 {
					t := clk.AfterFunc(time.Hour, k.fire)
					afterfuncs.Add(1)
					k.due.Store(mono() + int64(D))
					if !t.Reset(D) {
						fail("Reset of a pending 1-hour timer returned false")
					}
					resets.Add(1)
				} else {
					k.due.Store(mono() + int64(D))
					clk.AfterFunc(D, k.fire)
					afterfuncs.Add(1)
				}

				s := clk.AfterFunc(time.Hour, neverFires)
				afterfuncs.Add(1)
				if !s.Stop() {
					fail("Stop of a pending 1-hour timer returned false")
				}
				stops.Add(1)

				select {
				case <-clk.After(D):
				case <-never:
				}
				afters.Add(1)
			}
		}(w)
	}
	workers.Wait()
	firing.Wait()
	elapsed := time.Duration(mono() - startNs)

	var acq, waits, waitNs int64
	if gh != nil {
		gh.mu.Lock() // not through gh.lock: not counted
		acq, waits, waitNs = gh.acquisitions, gh.waits, gh.waitNs
		gh.mu.Unlock()
	}
	if fired.Load() != int64(G*N) || lateIdx.Load() != int64(G*N) {
		fail("fired=%d, want %d", fired.Load(), G*N)
	}
	late := lateNs[:lateIdx.Load()]
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	var maxUs float64
	if len(late) > 0 {
		maxUs = float64(late[len(late)-1]) / 1e3
	}

	// os.Stdout is unbuffered: every Printf below is written before the hold.
	fmt.Printf("timers-probe: impl=%s g=%d n=%d d=%s sleeps=%d afterfuncs=%d resets=%d stops=%d "+
		"afters=%d fired=%d idle=%d\n", *implName, G, N, strings.Replace(D.String(), "µ", "u", 1),
		sleeps.Load(), afterfuncs.Load(), resets.Load(), stops.Load(), afters.Load(), fired.Load(),
		idle.Load())
	fmt.Printf("late_us p50=%.1f p99=%.1f max=%.1f samples=%d\n", percentile(late, 50),
		percentile(late, 99), maxUs, len(late))
	if gh != nil {
		fmt.Printf("lock acquisitions=%d waits=%d wait_s=%.6f\n", acq, waits, float64(waitNs)/1e9)
	}
	fmt.Printf("elapsed_s=%.3f\n", elapsed.Seconds())
	if *hold > 0 {
		phaseBegin("hold")
		time.Sleep(*hold)
	}
}
