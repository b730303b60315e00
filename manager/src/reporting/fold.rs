//! Folding proof of play and online/offline transitions into aggregates.

use super::*;

pub(crate) static FOLD: Mutex<()> = Mutex::new(());

pub use bangtin_layouts::time::day_start;

/// `[from, to)` cut at local midnights: microseconds per local date.
pub fn split_days(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Vec<(NaiveDate, i64)> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    let mut cur = from.max(to - Duration::days(MAX_SPLIT_DAYS));
    while cur < to && out.len() < MAX_SPLIT_DAYS as usize + 2 {
        let d = cur.with_timezone(&tz).date_naive();
        let next = d.succ_opt().map_or(to, |n| day_start(n, tz));
        let end = next.min(to);
        if end <= cur {
            break;
        }
        out.push((d, (end - cur).num_microseconds().unwrap_or(0)));
        cur = end;
    }
    out
}

pub(crate) fn entry<'a, T: DeserializeOwned + Default>(
    store: &dyn Store,
    m: &'a mut BTreeMap<String, T>,
    k: String,
) -> crate::store::Result<&'a mut T> {
    Ok(match m.entry(k) {
        Entry::Occupied(o) => o.into_mut(),
        Entry::Vacant(v) => {
            let val = get_or_default(store, v.key())?;
            v.insert(val)
        }
    })
}

pub(crate) fn key_number(k: &str) -> Option<u64> {
    k.rsplit('/').next()?.parse().ok()
}

/// Fold what board `board` uploaded and the transitions recorded since the
/// last fold (its days are local days in `tz`).
pub fn fold_board(store: &dyn Store, board: &str, tz: Tz) -> crate::store::Result<()> {
    let _g = crate::store::exclusive_blocking(store, &FOLD, "fold")?;
    while fold_chunk(store, board, tz)? {}
    Ok(())
}

/// One batch; true when there is more.
pub(crate) fn fold_chunk(store: &dyn Store, board: &str, tz: Tz) -> crate::store::Result<bool> {
    let ck = cursor_key(board);
    let mut cur: Cursor = get_or_default(store, &ck)?;
    // Proof of play: what the board's logs gained since the last fold (the
    // log read last from where it stopped, and newer hours' whole).
    let mut plays = Vec::new();
    let mut moved = false;
    for b in store.journal().buckets(crate::journal::Stream::Play)? {
        if b < cur.play_bucket {
            continue;
        }
        let from = if b == cur.play_bucket { cur.play_pos } else { 0 };
        let (events, end) = crate::playlog::read_log(store, &b, board, from)?;
        if end > from {
            (cur.play_bucket, cur.play_pos, moved) = (b, end, true);
        }
        plays.extend(events.into_iter().filter(|e| e.seq >= cur.next_seq));
    }
    plays.sort_by_key(|e| e.seq);
    let ep = format!("boardevent/{board}/");
    let events = store.range(&format!("{ep}{:020}", cur.next_us), &prefix_end(&ep), FOLD_CHUNK, false)?;
    if !moved && events.is_empty() {
        return Ok(false);
    }
    let more = events.len() == FOLD_CHUNK;
    let mut aggs: BTreeMap<String, PlayAgg> = BTreeMap::new();
    let mut days: BTreeMap<String, DayAgg> = BTreeMap::new();
    for e in &plays {
        cur.next_seq = cur.next_seq.max(e.seq.saturating_add(1));
        let Some(id) = e.layout.strip_prefix("alert:") else {
            continue;
        };
        let bulletin = id.starts_with("bulletin:");
        let agg = entry(store, &mut aggs, play_key(&item_hash(id), board))?;
        let from = e.started.min(e.at);
        agg.first = Some(agg.first.map_or(from, |f| f.min(from)));
        if e.kind == PlayKind::Start {
            let d = e.at.with_timezone(&tz).date_naive();
            entry(store, &mut days, day_key(board, d))?.add_id(id);
            continue;
        }
        let to = e.at.max(e.started);
        agg.last = Some(agg.last.map_or(to, |l| l.max(to)));
        agg.micros += (to - e.started).num_microseconds().unwrap_or(0).max(0);
        agg.plays += 1;
        agg.interrupted += u64::from(e.kind == PlayKind::Interrupted);
        let parts = split_days(e.started, to, tz);
        if parts.is_empty() {
            let d = to.with_timezone(&tz).date_naive();
            entry(store, &mut days, day_key(board, d))?.add_id(id);
        }
        for (d, us) in parts {
            let day = entry(store, &mut days, day_key(board, d))?;
            if bulletin {
                day.bulletin_us += us;
            } else {
                day.alert_us += us;
            }
            day.add_id(id);
        }
    }
    for (k, v) in &events {
        if let Some(us) = key_number(k) {
            cur.next_us = cur.next_us.max(us.saturating_add(1));
        }
        let Ok(t) = serde_json::from_slice::<Transition>(v) else {
            continue;
        };
        if t.online {
            cur.online_since.get_or_insert(t.at);
        } else if let Some(since) = cur.online_since.take() {
            for (d, us) in split_days(since, t.at, tz) {
                entry(store, &mut days, day_key(board, d))?.online_us += us;
            }
        }
    }
    let mut ops: Vec<Op> = aggs.iter().map(|(k, a)| Op::put(k.clone(), a)).collect();
    ops.extend(days.iter().map(|(k, d)| Op::put(k.clone(), d)));
    ops.push(Op::put(ck, &cur));
    // Derived data, atomic with its cursor: a crash loses both or neither.
    store.apply(ops)?;
    Ok(more)
}
