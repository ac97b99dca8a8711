//! The CPU a route spends, as the kernel counts it (`getrusage`): of this program, or of
//! the loader it runs as a child.

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeVal;

/// CPU seconds (user + system) spent since it was started, by `getrusage`: of this
/// process, or of the children it has waited for.
pub(crate) struct CpuClock {
    who: UsageWho,
    start: f64,
}

impl CpuClock {
    /// This process's CPU.
    pub(crate) fn own() -> CpuClock {
        CpuClock::start(UsageWho::RUSAGE_SELF)
    }

    /// The CPU of the children waited for from now on.
    pub(crate) fn children() -> CpuClock {
        CpuClock::start(UsageWho::RUSAGE_CHILDREN)
    }

    fn start(who: UsageWho) -> CpuClock {
        CpuClock {
            who,
            start: cpu_seconds(who),
        }
    }

    pub(crate) fn seconds(&self) -> f64 {
        cpu_seconds(self.who) - self.start
    }
}

fn cpu_seconds(who: UsageWho) -> f64 {
    let seconds = |t: TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    // getrusage fails only for an invalid `who`.
    getrusage(who).map_or(f64::NAN, |usage| {
        seconds(usage.user_time()) + seconds(usage.system_time())
    })
}
