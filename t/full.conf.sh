# full_conf NAME: the configuration of the incident and of the registry
# tests: six sysvsem mutexes (accept with two listeners, rewrite-map with a
# prg: map, proxy and balancer, auth_digest, cache_socache), a named
# scoreboard, a named shmcb cache and a balancer's slotmem.
# NO_PRG_MAP=1 leaves the prg: map (and its mutex) out.
full_conf() {
  local name=$1 d map
  httpd_conf "$name" </dev/null     # allocates the port
  d=$T/$name
  cat > "$d/map.sh" <<'MAP'
#!/bin/sh
while read -r line; do echo "$line"; done
MAP
  chmod 755 "$d/map.sh"
  map="RewriteMap echo \"prg:$d/map.sh\""
  if [ "${NO_PRG_MAP:-0}" = 1 ]; then
    map="# no prg: RewriteMap"
  fi
  httpd_conf "$name" <<CONF
Listen 127.0.0.1:$(( ${PORT[$name]} + 1 ))
Mutex sysvsem default
ScoreBoardFile $d/run/scoreboard
LoadModule rewrite_module $MODDIR/mod_rewrite.so
RewriteEngine On
$map
LoadModule proxy_module $MODDIR/mod_proxy.so
LoadModule proxy_http_module $MODDIR/mod_proxy_http.so
LoadModule proxy_balancer_module $MODDIR/mod_proxy_balancer.so
LoadModule slotmem_shm_module $MODDIR/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module $MODDIR/mod_lbmethod_byrequests.so
<Proxy "balancer://pool">
  BalancerMember "http://127.0.0.1:9"
</Proxy>
ProxyPass "/app" "balancer://pool"
LoadModule auth_digest_module $MODDIR/mod_auth_digest.so
LoadModule cache_module $MODDIR/mod_cache.so
LoadModule socache_shmcb_module $MODDIR/mod_socache_shmcb.so
LoadModule cache_socache_module $MODDIR/mod_cache_socache.so
CacheSocache "shmcb:$d/run/cache(512000)"
CacheEnable socache /cached
${EXTRA_CONF:-}
CONF
}
