# Sourced by scripts/bench.sh: the `feed` phase.
#
# For each count in BENCH_FEED_COUNTS (5,000 and 50,000), loads that many generated vehicles into
# the `vehicles` collection (the search phase's loader), starts `hub relay`, then times
# `hub feeds run bench_feed` (an 8-column CSV of every vehicle) under /usr/bin/time: render +
# store + commit, the command's wall time and peak RSS. The relay, woken by the commit, posts
# the file to the sink: run start → delivered is "rendered and published". Peak RSS that stays
# flat from 5,000 to 50,000 items is what "constant memory" means here. Target: 50,000 items
# rendered and published in under 2 s.

FEED_COUNTS=${BENCH_FEED_COUNTS:-5000 50000}

feed_config() {
  cat <<'YAML'

feeds:
  bench_feed:
    collection: vehicles
    format: csv
    columns: { vin: /vin, make: /make, model: /model, year: /year, price: /price, dealer: /dealer/id, title: /title, description: /description }
    file: bench-inventory.csv
    to: sink
    shrink_guard: off
YAML
}

phase_feed() {
  local count
  for count in $FEED_COUNTS; do
    say "feed: loading $count vehicles into the projection"
    SEARCH_COUNT=$count search_load
    truncate_outbox
    sql "TRUNCATE feed_runs" >/dev/null
    sql "CHECKPOINT" >/dev/null
    reset_sink
    start_hub hub-feed-relay relay
    sleep 1   # listening for the commit's NOTIFY
    /usr/bin/time -f "%e %M" -o "$LOGS/feed-$count.time" "$HUB" feeds run bench_feed --config "$CONFIG" \
      >"$LOGS/feed-$count.out" 2>"$LOGS/feed-$count.log" || { cat "$LOGS/feed-$count.log" >&2; die "hub feeds run failed"; }
    local wall rss items bytes render_ms
    read -r wall rss <"$LOGS/feed-$count.time"
    IFS='|' read -r items bytes render_ms < <(sql "SELECT items, bytes, duration_ms FROM feed_runs WHERE status = 'published'")
    [[ $items == "$count" ]] || die "feed: expected a published run of $count items, got '${items:-none}' (see $LOGS/feed-$count.out)"
    local deadline=$((SECONDS + 120)) total=""
    while [[ -z $total ]] && ((SECONDS < deadline)); do
      total=$(sql "SELECT round(extract(epoch FROM d.delivered_at - r.started_at) * 1000) FROM deliveries d
                   JOIN feed_runs r ON r.message_id = d.message_id WHERE d.status = 'delivered'")
      [[ -n $total ]] || sleep 0.1
    done
    local relay_rss
    relay_rss=$(awk '/VmHWM/ { print $2 }' "/proc/$HUB_PID/status")
    stop_bg hub-feed-relay
    [[ -n $total ]] || die "feed: the $count-item file was not delivered within 120 s (see $LOGS/hub-feed-relay.log)"
    local received
    received=$(sink_stats | json_get received)
    row "feed $(thousands "$count")" "rendered and published: run start → file delivered to the sink" \
      "$(thousands "${total%.*}") ms ($(thousands "$bytes") B CSV; the sink received $received request)" \
      "$( ((count == 50000)) && echo "< 2 s")" "$( ((count == 50000)) && meets "${total%.*}" '<' 2000)"
    row "feed $(thousands "$count")" "render + store + commit (\`hub feeds run\`): run / command wall" \
      "$(thousands "$render_ms") ms / $(fmt "$wall" 2) s"
    row "feed $(thousands "$count")" "peak RSS: \`hub feeds run\` / \`hub relay\` that delivered it" "$((rss / 1024)) / $((relay_rss / 1024)) MiB"
    note "feed $count: $(tail -1 "$LOGS/feed-$count.out")"
    log_findings hub-feed-relay
  done
}
