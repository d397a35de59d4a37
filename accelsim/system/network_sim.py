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

    def send(src_chip: int, dst_chip: int, nbytes: float, delivered: simpy.Event):
        path, bandwidth, latency = route(src_chip, dst_chip)
        yield env.timeout(latency)
        if path and nbytes > 0:
            requests = []
            for link in path:
                req = resources[link].request()
                yield req
                requests.append((link, req))
            duration = nbytes / bandwidth
            yield env.timeout(duration)
            for link, req in requests:
                busy[link] += duration
                resources[link].release(req)
        delivered.succeed()

    def run_job(j: int, job: Job):
        if job.after is not None:
            yield done_events[job.after]
        if job.release_seconds > env.now:
            yield env.timeout(job.release_seconds - env.now)
        starts[j] = env.now
        place = job.placement
        ranks = len(place)
        # Delivery events per step and destination rank.
        inbox = [[[] for _ in range(ranks)] for _ in job.schedule]
        outbox = [[[] for _ in range(ranks)] for _ in job.schedule]
        for s, step in enumerate(job.schedule):
            for msg in step:
                event = env.event()
                inbox[s][msg.dst].append((event, msg))
                outbox[s][msg.src].append((event, msg))
        procs = [env.process(run_rank(job, r, inbox, outbox)) for r in range(ranks)]
        yield simpy.AllOf(env, procs)
        ends[j] = env.now
        done_events[j].succeed()

    def run_rank(job: Job, rank: int, inbox, outbox):
        place = job.placement
        for s in range(len(job.schedule)):
            waits = []
            for event, msg in outbox[s][rank]:
                env.process(send(place[msg.src], place[msg.dst], msg.nbytes, event))
                waits.append(event)
            waits.extend(event for event, _ in inbox[s][rank])
            if waits:
                yield simpy.AllOf(env, waits)
            reduce_bytes = sum(msg.nbytes for _, msg in inbox[s][rank] if msg.reduce)
            if reduce_bytes and gamma_seconds_per_byte:
                yield env.timeout(reduce_bytes * gamma_seconds_per_byte)

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
