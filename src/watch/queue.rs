//! The queue route: S3 event notifications (`ObjectCreated:*`) delivered through SQS, read
//! by long polling. A message is deleted only once every object it names is settled
//! (loaded, already in the manifest, quarantined, or not of the trees), so a crash makes
//! SQS deliver it again and the manifest drops the repeat. Both trees are also listed
//! whole at start and every `--reconcile-interval`, for what a lost notification missed.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_sqs::Client;
use serde::Deserialize;

use super::pending::Tree;
use super::Watcher;
use crate::error::{Result, SourceError};
use crate::source::{Entry, S3Options, SourceUri};

/// The queue a watcher reads.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub url: String,
}

/// The pause after the queue failed to answer, once the watcher runs.
const QUEUE_PAUSE: Duration = Duration::from_secs(5);

/// How often the queue route reads the quarantine again, to try at once what an operator
/// let out of it (a listing does that on its own).
const QUARANTINE_LOOK: Duration = Duration::from_secs(10);

/// SQS's longest long poll.
const LONGEST_POLL: Duration = Duration::from_secs(20);

/// Messages received and not deleted yet: each one's receipt handle and the objects it
/// names that are not settled.
#[derive(Default)]
struct Unsettled {
    messages: Vec<(String, Vec<(Tree, String)>)>,
}

/// An S3 event notification, as much of it as the watcher reads.
#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
    /// `s3:TestEvent`, sent when notifications are set up: nothing to load.
    #[serde(rename = "Event")]
    event: Option<String>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    #[serde(rename = "eventTime")]
    event_time: Option<String>,
    s3: S3Record,
}

#[derive(Deserialize)]
struct S3Record {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    #[serde(default)]
    size: u64,
    #[serde(rename = "eTag", default)]
    e_tag: String,
}

/// Runs the queue route until the watcher is stopped.
pub(super) async fn run(watcher: &mut Watcher<'_>, queue: &QueueConfig) -> Result<()> {
    let client = client(&watcher.config.load.s3).await;
    check_queue(&client, &queue.url).await?;
    let trees = [
        (Tree::Song, &watcher.config.load.song_data),
        (Tree::Log, &watcher.config.load.log_data),
    ];
    let mut unsettled = Unsettled::default();
    let mut next_listing = Instant::now();
    let mut next_look = Instant::now() + QUARANTINE_LOOK;
    let mut first = true;
    while !watcher.stopped() {
        if Instant::now() >= next_listing {
            if watcher.listed(first).await? {
                first = false;
                next_listing = Instant::now() + watcher.config.reconcile_every;
                watcher.load_due(true).await?;
            }
            continue;
        }
        if Instant::now() >= next_look {
            if let Err(err) = watcher.look_at_quarantine().await {
                tracing::warn!("the quarantine could not be read; read again later: {err}");
            }
            next_look = Instant::now() + QUARANTINE_LOOK;
        }
        let due = watcher.pending.next_due(&watcher.config.limits);
        let until = due.map_or(next_listing, |due| due.min(next_listing));
        let wait = until
            .saturating_duration_since(Instant::now())
            .min(LONGEST_POLL);
        // A wait under a second is slept: SQS waits whole seconds, and 0 would poll in a
        // loop.
        if wait < Duration::from_secs(1) {
            watcher.pause_until(until).await;
            watcher.load_due(false).await?;
            continue;
        }
        let mut stop = watcher.stop.clone();
        let received = tokio::select! {
            received = receive(&client, &queue.url, wait) => received,
            _ = stop.wait_for(Option::is_some) => break,
        };
        let received = match received {
            Ok(received) => received,
            Err(err) => {
                tracing::warn!("{err}; trying again in {} s", QUEUE_PAUSE.as_secs());
                watcher.pause_until(Instant::now() + QUEUE_PAUSE).await;
                continue;
            }
        };
        tracing::debug!(messages = received.len(), "received");
        let now = Instant::now();
        for (receipt, body) in received {
            let mut named = Vec::new();
            for (tree, entry) in objects_of(&body, &trees) {
                named.push((tree, entry.key.clone()));
                watcher.found(tree, entry, now).await;
            }
            unsettled.messages.push((receipt, named));
        }
        watcher.load_due(false).await?;
        unsettled.delete_settled(&client, &queue.url, watcher).await;
    }
    Ok(())
}

impl Watcher<'_> {
    /// Reads the quarantine again: an object an operator let out of it (a `DELETE` of its
    /// row) waits to be loaded again, as listed when it was quarantined.
    async fn look_at_quarantine(&mut self) -> Result<()> {
        let now = self.quarantine.list(&self.client).await?;
        let released: Vec<_> = self
            .held
            .values()
            .filter(|held| !now.contains_key(&(held.tree.clone(), held.key.clone())))
            .cloned()
            .collect();
        self.held = now;
        let found = Instant::now();
        for held in released {
            let tree = if held.tree == Tree::Song.name() {
                Tree::Song
            } else {
                Tree::Log
            };
            let entry = Entry {
                key: held.key,
                size: held.size,
                version: held.version,
                modified: None,
            };
            // Tried again as a notification of it would be: an object changed after it was
            // loaded is still changed, and goes back.
            self.found(tree, entry, found).await;
        }
        Ok(())
    }

    /// An object a notification named: waiting to load unless the manifest has it already
    /// (a repeat), quarantined if the manifest has another version of it.
    async fn found(&mut self, tree: Tree, entry: Entry, now: Instant) {
        match self
            .known
            .get(&(tree.name().to_string(), entry.key.clone()))
        {
            Some((size, version)) if *size == entry.size && *version == entry.version => {}
            Some(_) => {
                if let Err(err) = self.changed(tree, &entry).await {
                    // Not recorded: the next listing finds it changed again.
                    tracing::warn!("cannot quarantine {}: {err}", entry.key);
                }
            }
            None => self.offer(tree, entry, now),
        }
    }
}

impl Unsettled {
    /// Deletes the messages whose objects are all settled (none waits any longer).
    async fn delete_settled(&mut self, client: &Client, url: &str, watcher: &Watcher<'_>) {
        let (settled, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.messages)
            .into_iter()
            .partition(|(_, objects)| {
                objects
                    .iter()
                    .all(|(tree, key)| !watcher.pending.contains(*tree, key))
            });
        self.messages = waiting;
        tracing::debug!(
            settled = settled.len(),
            waiting = self.messages.len(),
            "messages settled"
        );
        // DeleteMessageBatch takes ten at most.
        for chunk in settled.chunks(10) {
            let entries = chunk.iter().enumerate().filter_map(|(i, (receipt, _))| {
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .build()
                    .ok()
            });
            let deleted = client
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(entries.collect()))
                .send()
                .await;
            // A message received again since has a newer receipt; this one may no longer
            // delete it, and its repeat is dropped by the manifest.
            match deleted {
                Ok(answer) if answer.failed().is_empty() => {}
                Ok(answer) => tracing::warn!(
                    failed = answer.failed().len(),
                    "settled messages stay on the queue (they will be delivered again and \
                     dropped)"
                ),
                Err(err) => tracing::warn!(
                    "settled messages stay on the queue (they will be delivered again and \
                     dropped): {}",
                    crate::error::sentence_chain(&err)
                ),
            }
        }
    }
}

/// Fails at start when the queue cannot be read (a wrong URL, no permission), rather than
/// on every poll.
async fn check_queue(client: &Client, url: &str) -> Result<()> {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
        .send()
        .await
        .map_err(|err| queue_error(url, &err))?;
    Ok(())
}

fn queue_error(url: &str, err: &(dyn std::error::Error + 'static)) -> SourceError {
    SourceError::Queue {
        url: url.to_string(),
        message: crate::error::sentence_chain(err),
    }
}

/// Waits up to `wait` for messages: (receipt handle, body) each.
async fn receive(client: &Client, url: &str, wait: Duration) -> Result<Vec<(String, String)>> {
    let received = client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait.as_secs().min(20) as i32)
        .send()
        .await
        .map_err(|err| queue_error(url, &err))?;
    Ok(received
        .messages()
        .iter()
        .filter_map(|m| Some((m.receipt_handle()?.to_string(), m.body()?.to_string())))
        .collect())
}

/// The objects of the two trees a message names, as listed entries: the key decoded (S3
/// encodes it as a form value: `+` for a space), the ETag quoted as a listing gives it.
fn objects_of(body: &str, trees: &[(Tree, &SourceUri); 2]) -> Vec<(Tree, Entry)> {
    let notification: Notification = match serde_json::from_str(body) {
        Ok(notification) => notification,
        Err(err) => {
            tracing::warn!("a queue message is not an S3 event notification ({err}); deleted");
            return Vec::new();
        }
    };
    if let Some(event) = notification.event {
        tracing::debug!(event, "a queue message names no object");
    }
    let mut objects = Vec::new();
    for record in notification.records {
        if !record.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        let plus_as_space = record.s3.object.key.replace('+', " ");
        let Ok(key) = percent_encoding::percent_decode_str(&plus_as_space).decode_utf8() else {
            continue;
        };
        let modified = record
            .event_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(SystemTime::from);
        let in_tree = trees.iter().filter_map(|(tree, uri)| match uri {
            SourceUri::S3 { bucket, prefix } if *bucket == record.s3.bucket.name => {
                Some((*tree, key.strip_prefix(prefix.as_str())?, prefix.len()))
            }
            _ => None,
        });
        // Where one tree's prefix holds the other's, the longer prefix names the tree.
        let Some((tree, relative, _)) = in_tree.max_by_key(|(_, _, len)| *len) else {
            continue;
        };
        if !crate::source::is_object_key(relative) {
            continue;
        }
        let e_tag = record.s3.object.e_tag.trim_matches('"');
        objects.push((
            tree,
            Entry {
                key: relative.to_string(),
                size: record.s3.object.size,
                version: format!("\"{e_tag}\""),
                modified,
            },
        ));
    }
    objects
}

/// An SQS client reached as the S3 sources are (region, endpoint, credentials); never
/// anonymous: `--no-sign-request` is for public buckets, and a queue is not public.
async fn client(options: &S3Options) -> Client {
    Client::new(&options.sdk_config(false).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_name_objects_of_the_trees_with_listing_versions() {
        let songs = SourceUri::S3 {
            bucket: "bkt".into(),
            prefix: "song_data/".into(),
        };
        let logs = SourceUri::S3 {
            bucket: "bkt".into(),
            prefix: "log_data/".into(),
        };
        let trees = [(Tree::Song, &songs), (Tree::Log, &logs)];
        let body = r#"{"Records": [
            {"eventName": "ObjectCreated:Put", "eventTime": "2026-12-07T09:26:40.140Z",
             "s3": {"bucket": {"name": "bkt"}, "object": {"key": "log_data%2F2018%2F11%2Fa+b%3Dc.json", "size": 18, "eTag": "3fe8"}}},
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "bkt"}, "object": {"key": "log_data/x.txt", "size": 1, "eTag": "e"}}},
            {"eventName": "ObjectCreated:Copy", "s3": {"bucket": {"name": "other"}, "object": {"key": "song_data/a.json", "size": 1, "eTag": "e"}}},
            {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "bkt"}, "object": {"key": "song_data/gone.json", "size": 0, "eTag": ""}}},
            {"eventName": "ObjectCreated:Post", "s3": {"bucket": {"name": "bkt"}, "object": {"key": "song_data/A/b.json", "size": 7, "eTag": "9d-2"}}}
        ]}"#;
        let objects = objects_of(body, &trees);
        let named: Vec<(Tree, &str, u64, &str)> = objects
            .iter()
            .map(|(t, e)| (*t, e.key.as_str(), e.size, e.version.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                (Tree::Log, "2018/11/a b=c.json", 18, "\"3fe8\""),
                (Tree::Song, "A/b.json", 7, "\"9d-2\"")
            ]
        );
        assert!(objects[0].1.modified.is_some() && objects[1].1.modified.is_none());
        let test_event = r#"{"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "bkt"}"#;
        assert!(objects_of(test_event, &trees).is_empty());
        assert!(objects_of("not json", &trees).is_empty());
    }
}
