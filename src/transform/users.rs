//! `users`: each user's names, gender and level from their latest `NextSong` event.

use std::cmp::Ordering;

use foldhash::HashMap;

use crate::model::{EventRecord, Position, Timestamp, UserRow};

/// The latest play seen so far for each user.
#[derive(Debug, Default)]
pub struct UserFold {
    latest: HashMap<i32, Latest>,
}

/// (ts, sessionId, itemInSession): `None` sorts lowest, as SPEC asks of a NULL.
type Recency = (Timestamp, Option<i32>, Option<i32>);

fn recency(event: &EventRecord<'_>) -> Recency {
    (event.start_time, event.session_id, event.item_in_session)
}

/// Whether play `a` is later than play `b`; on a tie the earlier position wins.
fn later(a: (&Recency, Position), b: (&Recency, Position)) -> bool {
    match a.0.cmp(b.0) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => a.1 < b.1,
    }
}

/// Holds `candidate` for `user_id` unless the play held already is later; `when` gives a
/// value's recency and position.
fn keep_later<V>(
    held: &mut HashMap<i32, V>,
    user_id: i32,
    candidate: V,
    when: impl Fn(&V) -> (&Recency, Position),
) {
    match held.get_mut(&user_id) {
        Some(current) if !later(when(&candidate), when(current)) => {}
        Some(current) => *current = candidate,
        None => {
            held.insert(user_id, candidate);
        }
    }
}

#[derive(Debug)]
struct Latest {
    recency: Recency,
    position: Position,
    row: UserRow,
}

impl UserFold {
    /// The latest of one object's songplay events for each user. Rows are made for the
    /// winners only, not copied out of every event.
    pub fn of_plays(object: u32, plays: &[(u32, &EventRecord<'_>)]) -> UserFold {
        let mut winners: HashMap<i32, (Recency, Position, &EventRecord<'_>)> = HashMap::default();
        for &(line, event) in plays {
            let Some(user_id) = event.user_id else {
                continue;
            };
            let candidate = (recency(event), Position { object, line }, event);
            keep_later(&mut winners, user_id, candidate, |w| (&w.0, w.1));
        }
        let latest = winners
            .into_iter()
            .map(|(user_id, (recency, position, event))| {
                let row = UserRow {
                    user_id,
                    first_name: event.first_name.as_deref().map(str::to_string),
                    last_name: event.last_name.as_deref().map(str::to_string),
                    gender: event.gender.as_deref().map(str::to_string),
                    level: event.level.as_deref().map(str::to_string),
                };
                let latest = Latest {
                    recency,
                    position,
                    row,
                };
                (user_id, latest)
            })
            .collect();
        UserFold { latest }
    }

    pub fn merge(&mut self, other: UserFold) {
        for (user_id, candidate) in other.latest {
            keep_later(&mut self.latest, user_id, candidate, |l| {
                (&l.recency, l.position)
            });
        }
    }

    /// The rows, ordered by user id.
    pub fn into_rows(self) -> Vec<UserRow> {
        let mut rows: Vec<UserRow> = self.latest.into_values().map(|l| l.row).collect();
        rows.sort_by_key(|row| row.user_id);
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(ts: i64, session: Option<i32>, item: Option<i32>, level: &str) -> EventRecord<'_> {
        EventRecord {
            artist: None,
            first_name: Some("Lily".into()),
            gender: Some("F".into()),
            item_in_session: item,
            last_name: Some("Koch".into()),
            length: None,
            level: Some(level.into()),
            location: None,
            page: "NextSong".into(),
            session_id: session,
            song: None,
            start_time: Timestamp::from_epoch_millis(ts).unwrap(),
            user_agent: None,
            user_id: Some(15),
        }
    }

    fn level_after(offers: &[(u32, u32, EventRecord<'_>)]) -> String {
        let mut fold = UserFold::default();
        for (object, line, event) in offers {
            fold.merge(UserFold::of_plays(*object, &[(*line, event)]));
        }
        fold.into_rows()[0].level.clone().unwrap()
    }

    #[test]
    fn latest_by_ts_then_session_then_item() {
        assert_eq!(
            level_after(&[
                (0, 1, play(2, None, None, "paid")),
                (0, 2, play(1, Some(9), Some(9), "free"))
            ]),
            "paid"
        );
        assert_eq!(
            level_after(&[
                (0, 1, play(1, None, Some(9), "free")),
                (0, 2, play(1, Some(1), None, "paid"))
            ]),
            "paid"
        );
        assert_eq!(
            level_after(&[
                (0, 1, play(1, Some(1), Some(2), "paid")),
                (0, 2, play(1, Some(1), Some(1), "free"))
            ]),
            "paid"
        );
    }

    #[test]
    fn ties_go_to_the_first_in_key_and_line_order_whatever_the_merge_order() {
        let tie = |level| play(5, Some(1), Some(1), level);
        assert_eq!(
            level_after(&[(1, 1, tie("free")), (0, 7, tie("paid"))]),
            "paid"
        );
        assert_eq!(
            level_after(&[(0, 7, tie("paid")), (1, 1, tie("free"))]),
            "paid"
        );
        assert_eq!(
            level_after(&[(0, 3, tie("free")), (0, 2, tie("paid"))]),
            "paid"
        );
    }
}
