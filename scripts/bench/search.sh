# Sourced by scripts/bench.sh: the `search` phase.
#
# Loads BENCH_SEARCH_COUNT (100,000) generated vehicles into the `vehicles` collection with one
# batched INSERT through the projection's own upsert (the same columns, tsvector weights and
# newer-version WHERE as ProjectionStore.write; migration 9's trigger numbers the rows), then
# drives GET /v1/search/vehicles with wrk: a mix of text, filters, sorts and pages
# (scripts/bench/search.lua), and the unfiltered query whose facet counts cover the whole
# collection. Target: p99 <= 50 ms for the mix.

SEARCH_COUNT=${BENCH_SEARCH_COUNT:-100000}
SEARCH_CONNECTIONS=${BENCH_SEARCH_CONNECTIONS:-4}

# The bench config's collection, appended by bench.sh to hub.yaml. The rate is far above what
# wrk reaches from one address: this measures search, not the limiter.
search_config() {
  cat <<'YAML'

collections:
  vehicles:
    delete_types: [vehicle.deleted]
    text:
      - { pointer: /title, weight: A }
      - { pointer: /model, weight: B }
      - { pointer: /description, weight: C }
    facets:
      make: /make
      model: /model
      year: { pointer: /year, type: number }
      price: { pointer: /price, type: number, buckets: [10000, 20000, 30000, 50000] }
      dealer: /dealer/id
    public: [/vin, /title, /make, /model, /year, /price, /dealer/id]
    search: { rate: { limit: 100000/s, burst: 100000 } }
YAML
}

search_load() {
  psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d hub -v n="$SEARCH_COUNT" >/dev/null <<'SQL'
    DELETE FROM projection_documents WHERE collection = 'vehicles';
    WITH makes(i, make, models) AS (VALUES
      (0, 'Toyota', ARRAY['Camry', 'Corolla', 'RAV4', 'Prius']), (1, 'Honda', ARRAY['Civic', 'Accord', 'CR-V', 'Pilot']),
      (2, 'Ford', ARRAY['F-150', 'Escape', 'Mustang', 'Explorer']), (3, 'Chevrolet', ARRAY['Silverado', 'Malibu', 'Equinox', 'Tahoe']),
      (4, 'Nissan', ARRAY['Altima', 'Rogue', 'Sentra', 'Leaf']), (5, 'BMW', ARRAY['3 Series', '5 Series', 'X3', 'X5']),
      (6, 'Audi', ARRAY['A4', 'A6', 'Q5', 'Q7']), (7, 'Kia', ARRAY['Sorento', 'Sportage', 'Optima', 'Soul']),
      (8, 'Hyundai', ARRAY['Elantra', 'Sonata', 'Tucson', 'Kona']), (9, 'Mazda', ARRAY['Mazda3', 'CX-5', 'CX-9', 'MX-5']),
      (10, 'Subaru', ARRAY['Outback', 'Forester', 'Impreza', 'Crosstrek']),
      (11, 'Volkswagen', ARRAY['Golf', 'Jetta', 'Tiguan', 'Passat'])),
    phrases(p) AS (SELECT ARRAY['One owner, clean history', 'Low mileage, leather seats', 'AWD family SUV with navigation',
      'Pickup truck with towing package', 'Hybrid, great fuel economy', 'Sunroof and heated seats', 'Sport coupe, manual',
      'Certified pre-owned, new tires', 'Priced to sell, high mileage', 'Backup camera, Bluetooth']),
    seeded AS (SELECT setseed(0.42)),
    draws AS (
      SELECT g, floor(random() * 12)::int AS make_i, floor(random() * 4)::int AS model_i,
             floor(random() * 18)::int AS age, floor(random() * 760)::int AS price_i,
             floor(random() * 200)::int AS dealer_i, floor(random() * 10)::int AS phrase_i
      FROM seeded, generate_series(1, :n) AS g),
    vehicles AS (
      SELECT g, m.make, m.models[1 + d.model_i] AS model, 2008 + d.age AS year, 4000 + d.price_i * 100 AS price,
             'd' || (1 + d.dealer_i) AS dealer, (SELECT p[1 + d.phrase_i] FROM phrases) AS description
      FROM draws d JOIN makes m ON m.i = d.make_i),
    documents AS (
      SELECT 'BENCH' || lpad(g::text, 12, '0') AS vin, jsonb_build_object(
        'vin', 'BENCH' || lpad(g::text, 12, '0'), 'make', make, 'model', model, 'year', year, 'price', price,
        'title', year || ' ' || make || ' ' || model, 'description', description,
        'dealer', jsonb_build_object('id', dealer, 'name', 'Dealer ' || dealer), 'cost', price - 1500) AS doc
      FROM vehicles)
    INSERT INTO projection_documents AS t (collection, subject, version_time, version_id, deleted, document, facets, search)
    SELECT 'vehicles', vin, now(), gen_random_uuid(), false, doc,
           jsonb_build_object('make', doc->'make', 'model', doc->'model', 'year', doc->'year', 'price', doc->'price',
                              'dealer', doc->'dealer'->'id'),
           setweight(to_tsvector('english', doc->>'title'), 'A')
           || setweight(to_tsvector('english', doc->>'model'), 'B')
           || setweight(to_tsvector('english', doc->>'description'), 'C')
           || setweight(to_tsvector('english', ''), 'D')
    FROM documents
    ON CONFLICT (collection, subject) DO UPDATE SET
        version_time = excluded.version_time, version_id = excluded.version_id, deleted = excluded.deleted,
        document = excluded.document, facets = excluded.facets, search = excluded.search, updated_at = now()
    WHERE (excluded.version_time, excluded.version_id) > (t.version_time, t.version_id);
SQL
  sql "VACUUM ANALYZE projection_documents" >/dev/null
}

phase_search() {
  say "search: loading $SEARCH_COUNT vehicles into the projection"
  local t0 t1 loaded
  t0=$(date +%s%N)
  search_load
  t1=$(date +%s%N)
  loaded=$(sql "SELECT count(*) FROM projection_documents WHERE collection = 'vehicles' AND NOT deleted")
  [[ $loaded == "$SEARCH_COUNT" ]] || die "search: expected $SEARCH_COUNT documents, found $loaded"
  note "search: $(thousands "$loaded") documents loaded in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s (one INSERT ... ON CONFLICT, plus VACUUM ANALYZE); table + indexes $(sql "SELECT pg_size_pretty(pg_total_relation_size('projection_documents'))")"

  start_hub hub-search serve --no-relay
  # The first search builds the collection's in-process facet index (every document's facet
  # values read once); its time is noted, and wrk measures the warm index.
  local probe probe_code probe_secs
  probe=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$HUB_URL/v1/search/vehicles?q=camry&make=Toyota&year_min=2015")
  read -r probe_code probe_secs <<<"$probe"
  [[ $probe_code == 200 ]] || die "search: a probe query answered $probe_code; see $LOGS/hub-search.log"
  note "search: the first search (which loads the facet index of $(thousands "$loaded") documents) took $(fmt "$probe_secs" 2) s"

  local mix cpu0 cpu1 label
  for mix in all none; do
    label=search-$mix
    if ((WARMUP > 0)); then
      BENCH_SEARCH_MIX=$mix run_fg timeout $((WARMUP + 60)) wrk -t"$(wrk_threads "$SEARCH_CONNECTIONS")" -c"$SEARCH_CONNECTIONS" \
        -d"${WARMUP}s" --timeout 10s --latency -s "$HERE/search.lua" "$HUB_URL" >"$LOGS/wrk-$label-warmup.log" 2>&1 || true
    fi
    say "search: wrk -c$SEARCH_CONNECTIONS -d${DURATION}s ($mix)"
    cpu0=$(cpu_snap "$HUB_PID")
    BENCH_SEARCH_MIX=$mix run_fg timeout $((DURATION + 60)) wrk -t"$(wrk_threads "$SEARCH_CONNECTIONS")" -c"$SEARCH_CONNECTIONS" \
      -d"${DURATION}s" --timeout 10s --latency -s "$HERE/search.lua" "$HUB_URL" >"$LOGS/wrk-$label.log" 2>&1 \
      || { tail -20 "$LOGS/wrk-$label.log" >&2; die "wrk ($label) failed"; }
    cpu1=$(cpu_snap "$HUB_PID")
    read_wrk "$label"
    local rate
    rate=$(awk -v n="${W[ok]}" -v s="${W[secs]}" 'BEGIN { printf "%.0f", n / s }')
    if [[ $mix == all ]]; then
      row "search -c$SEARCH_CONNECTIONS" "faceted queries (text + filter mix) p50 / p99, $(thousands "$SEARCH_COUNT") docs" \
        "$(fmt "${W[p50_ms]}" 2) / $(fmt "${W[p99_ms]}" 2) ms ($(thousands "$rate")/s)" "p99 ≤ 50 ms" "$(meets "${W[p99_ms]}" '<=' 50)"
    else
      row "search -c$SEARCH_CONNECTIONS" "no text, no filter (facets over all docs) p50 / p99" \
        "$(fmt "${W[p50_ms]}" 2) / $(fmt "${W[p99_ms]}" 2) ms ($(thousands "$rate")/s)"
    fi
    row "search -c$SEARCH_CONNECTIONS" "non-2xx ($mix)" "${W[errors]}" "0" "$( ((W[non2xx] == 0 && W[socket_errors] == 0)) && echo yes || echo NO)"
    note "$label: $(thousands "${W[requests]}") answers in $(fmt "${W[secs]}" 1) s, max latency $(fmt "${W[max_ms]}" 1) ms; $(cpu_diff "$cpu0" "$cpu1")"
  done
  stop_bg hub-search
  log_findings hub-search
}
