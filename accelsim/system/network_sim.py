"""Event-driven network model (simpy): each directed link is a resource; messages cross links.

Message model: the sender pays ``alpha`` (software launch + hop latency; the link is not held), then
the message claims every link on its route, in a fixed global order so that no two messages can
deadlock, and holds them all for ``nbytes / bandwidth`` of the route's slowest link (cut-through:
the bytes stream through all hops at once). Uncontended, a message therefore costs exactly
``alpha + nbytes * beta`` whatever its hop count, which is the analytical model's assumption;
messages that share a link queue for it (first come, first served), so contention is real.
The receiver then spends ``gamma * nbytes`` reducing before its next step, when the step reduces.
"""
from __future__ import annotations

from dataclasses import dataclass

import simpy

from ..errors import AccelsimError
from .schedules import Schedule
from .topology import Network


@dataclass(frozen=True)
class Job:
    """A collective schedule to run: ``placement[rank]`` is the chip of each rank; it starts no
    earlier than ``release_seconds`` and after job ``after`` (an index into the job list) ends."""

    schedule: Schedule
    placement: tuple[int, ...]
    release_seconds: float = 0.0
    after: int | None = None
    label: str = ""


class _JobRun:
    """Step bookkeeping of one job: a rank starts step s+1 once it has started step s and every
    message it sends or receives in step s is delivered (plus the reduction time, when reducing).
    Counters and callbacks instead of one simpy process per rank keep large runs fast."""

    def __init__(self, env: simpy.Environment, job: Job, send, gamma: float,
                 finished: simpy.Event):
        self.env, self.job, self.send, self.gamma, self.finished = env, job, send, gamma, finished
        ranks = len(job.placement)
        steps = len(job.schedule)
        self.pending = [[0] * ranks for _ in range(steps)]
        self.reduce_bytes = [[0.0] * ranks for _ in range(steps)]
        self.outbox: list[list[list]] = [[[] for _ in range(ranks)] for _ in range(steps)]
        for s, step in enumerate(job.schedule):
            for msg in step:
                self.pending[s][msg.src] += 1
                self.pending[s][msg.dst] += 1
                self.outbox[s][msg.src].append(msg)
                if msg.reduce:
                    self.reduce_bytes[s][msg.dst] += msg.nbytes
        self.current = [-1] * ranks
        self.ranks_left = ranks

    def start(self) -> None:
        if self.ranks_left == 0:
            self.finished.succeed()
            return
        for rank in range(len(self.current)):
            self._begin(rank, 0)

    def _begin(self, rank: int, step: int) -> None:
        place = self.job.placement
        steps = len(self.job.schedule)
        # Steps in which this rank neither sends nor receives pass at once (a loop, not recursion).
        while step < steps and self.pending[step][rank] == 0:
            step += 1
        self.current[rank] = step
        if step == steps:
            self.ranks_left -= 1
            if self.ranks_left == 0:
                self.finished.succeed()
            return
        for msg in self.outbox[step][rank]:
            self.send(place[msg.src], place[msg.dst], msg.nbytes,
                      lambda m=msg, s=step: self._delivered(m, s))

    def _delivered(self, msg, step: int) -> None:
        for rank in (msg.src, msg.dst):
            self.pending[step][rank] -= 1
            if self.pending[step][rank] == 0 and self.current[rank] == step:
                self._complete(rank, step)

    def _complete(self, rank: int, step: int) -> None:
        reduce_bytes = self.reduce_bytes[step][rank]
        if reduce_bytes and self.gamma:
            timer = self.env.timeout(reduce_bytes * self.gamma)
            timer.callbacks.append(lambda _event: self._begin(rank, step + 1))
        else:
            self._begin(rank, step + 1)


@dataclass(frozen=True)
class SimResult:
    """Start and end time (seconds) of each job, busy seconds of every link, and messages sent."""

    job_start_seconds: tuple[float, ...]
    job_end_seconds: tuple[float, ...]
    link_busy_seconds: dict
    messages: int

    @property
    def makespan_seconds(self) -> float:
        """Time the last job ended."""
        return max(self.job_end_seconds, default=0.0)

    def link_utilization(self, horizon_seconds: float | None = None) -> dict:
        """Busy fraction of every link that carried traffic, over ``horizon_seconds``
        (default: the makespan)."""
        horizon = horizon_seconds or self.makespan_seconds
        if horizon <= 0:
            return {}
        return {name: busy / horizon for name, busy in self.link_busy_seconds.items() if busy > 0}


def simulate(network: Network, jobs: list[Job], alpha_seconds: float | None = None,
             gamma_seconds_per_byte: float = 0.0, max_messages: int = 5_000_000) -> SimResult:
    """Run ``jobs`` on ``network`` and return their timings and per-link busy time.

    ``alpha_seconds``: per-message latency; ``None`` takes the largest ``latency_seconds`` of the
    links on each message's route (so intra- and inter-node messages of a hierarchical system pay
    their own alpha).
    """
    total = sum(len(step) for job in jobs for step in job.schedule)
    if total > max_messages:
        raise AccelsimError(f"event-driven run would send {total:,} messages (limit "
                            f"{max_messages:,}); use the analytical mode or fewer chips/buckets")
    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=1) for _ in network.links]
    busy = [0.0] * len(network.links)
    routes: dict = {}
    starts = [0.0] * len(jobs)
    ends = [0.0] * len(jobs)
    done_events = [env.event() for _ in jobs]

    def route(a: int, b: int):
        key = (a, b)
        if key not in routes:
            path = network.route(a, b)
            latency = alpha_seconds
            if latency is None:
                latency = max((network.links[i].latency_seconds for i in path), default=0.0)
            routes[key] = (tuple(sorted(path)),
                           network.path_bytes_per_second(path) if path else 0.0, latency)
        return routes[key]

    def send(src_chip: int, dst_chip: int, nbytes: float, on_delivered) -> None:
        """Alpha, then claim the route's links in order, hold them for the transfer, release.
        Written as event callbacks rather than a process per message: same semantics, faster."""
        path, bandwidth, latency = route(src_chip, dst_chip)
        if not path or nbytes <= 0:
            env.timeout(latency).callbacks.append(lambda _e: on_delivered())
            return
        duration = nbytes / bandwidth
        held: list = []

        def claim(_event=None) -> None:
            if len(held) == len(path):
                env.timeout(duration).callbacks.append(finish)
                return
            req = resources[path[len(held)]].request()
            held.append(req)
            req.callbacks.append(claim)

        def finish(_event) -> None:
            for link, req in zip(path, held):
                busy[link] += duration
                resources[link].release(req)
            on_delivered()

        env.timeout(latency).callbacks.append(claim)

    def run_job(j: int, job: Job):
        if job.after is not None:
            yield done_events[job.after]
        if job.release_seconds > env.now:
            yield env.timeout(job.release_seconds - env.now)
        starts[j] = env.now
        finished = env.event()
        _JobRun(env, job, send, gamma_seconds_per_byte, finished).start()
        yield finished
        ends[j] = env.now
        done_events[j].succeed()

    for j, job in enumerate(jobs):
        if any(not 0 <= c < network.chips for c in job.placement):
            raise AccelsimError(f"job {j} places ranks on chips outside 0..{network.chips - 1}")
        env.process(run_job(j, job))
    env.run()
    return SimResult(
        job_start_seconds=tuple(starts), job_end_seconds=tuple(ends),
        link_busy_seconds={network.links[i].name: b for i, b in enumerate(busy)},
        messages=total,
    )
