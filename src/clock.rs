//! The clock every rule reads "now" from: the system's in production, a manual one that
//! tests move.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// The time the application believes it is. Production reads the system clock; tests
/// use a manual clock and move it while one server runs (idle sessions, digests, deadlines).
#[derive(Clone, Copy, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(&'static ManualTime),
}

/// The instant of a manual clock, in microseconds since the epoch, shared by every copy.
#[derive(Debug)]
pub struct ManualTime(AtomicI64);

impl Clock {
    /// A clock standing at `start` until `advance` or `set` moves it. Each one leaks a few
    /// bytes, so that `Clock` stays `Copy`: fine for tests, which build one per test app.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        let time = ManualTime(AtomicI64::new(start.timestamp_micros()));
        Clock::Manual(Box::leak(Box::new(time)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            // Always a valid instant: only `manual`, `set` and `advance` store one.
            Self::Manual(time) => DateTime::from_timestamp_micros(time.0.load(Ordering::SeqCst))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    /// Moves a manual clock forward (or back, with a negative span).
    ///
    /// # Panics
    /// On the system clock, or past the range of `DateTime`.
    pub fn advance(&self, by: chrono::Duration) {
        let micros = &self.manual_time().0;
        let moved = micros.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |at| {
            DateTime::from_timestamp_micros(at)?
                .checked_add_signed(by)
                .map(|t| t.timestamp_micros())
        });
        assert!(moved.is_ok(), "the clock cannot move {by} further");
    }

    /// Puts a manual clock at `at`.
    ///
    /// # Panics
    /// On the system clock.
    pub fn set(&self, at: DateTime<Utc>) {
        self.manual_time()
            .0
            .store(at.timestamp_micros(), Ordering::SeqCst);
    }

    fn manual_time(&self) -> &'static ManualTime {
        match self {
            Self::Manual(time) => time,
            Self::System => panic!("the system clock cannot be moved; use Clock::manual"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_its_copies_move_with_it() {
        let start = DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::manual(start);
        let copy = clock;
        assert_eq!(clock.now(), start);
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert_eq!(clock.now(), start, "real time passing does not move it");

        clock.advance(chrono::Duration::minutes(31));
        assert_eq!(copy.now(), start + chrono::Duration::minutes(31));
        copy.advance(chrono::Duration::microseconds(-1));
        assert_eq!(
            clock.now(),
            start + chrono::Duration::minutes(31) - chrono::Duration::microseconds(1)
        );

        clock.set(start - chrono::Duration::days(400));
        assert_eq!(copy.now(), start - chrono::Duration::days(400));
        let other = Clock::manual(start);
        assert_eq!(other.now(), start, "each manual clock is its own");
    }

    #[test]
    #[should_panic(expected = "cannot be moved")]
    fn the_system_clock_cannot_be_moved() {
        Clock::System.advance(chrono::Duration::minutes(1));
    }

    #[test]
    #[should_panic(expected = "cannot move")]
    fn a_manual_clock_refuses_to_leave_the_calendar() {
        Clock::manual(DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1))
            .advance(chrono::Duration::days(2));
    }
}
