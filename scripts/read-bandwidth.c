// Read bandwidth of this machine: T threads stream a 1 GiB buffer with 512-bit loads, seven times; prints each
// pass's GB/s and the best. The ceiling that BENCHMARKS.md sets decode speed beside (decode reads every weight once
// per token).
//   gcc -O2 -mavx512f -pthread scripts/read-bandwidth.c -o /tmp/read-bandwidth && /tmp/read-bandwidth 2
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include <immintrin.h>
#include <pthread.h>
#define N (1UL<<30)
static char *buf; static int T=2;
static void *run(void *a){ long id=(long)a; size_t chunk=N/T; __m512i acc=_mm512_setzero_si512();
 for(size_t i=id*chunk;i<(id+1)*chunk;i+=256){ acc=_mm512_xor_si512(acc,_mm512_load_si512(buf+i)); acc=_mm512_xor_si512(acc,_mm512_load_si512(buf+i+64)); acc=_mm512_xor_si512(acc,_mm512_load_si512(buf+i+128)); acc=_mm512_xor_si512(acc,_mm512_load_si512(buf+i+192)); }
 long long r[8]; _mm512_storeu_si512(r,acc); return (void*)(r[0]&1); }
int main(int c,char**v){ if(c>1)T=atoi(v[1]); buf=aligned_alloc(64,N); for(size_t i=0;i<N;i++)buf[i]=i; double best=0;
 for(int k=0;k<7;k++){ struct timespec a,b; clock_gettime(CLOCK_MONOTONIC,&a); pthread_t th[16]; for(long t=0;t<T;t++)pthread_create(&th[t],0,run,(void*)t); for(int t=0;t<T;t++)pthread_join(th[t],0); clock_gettime(CLOCK_MONOTONIC,&b);
 double s=(b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)/1e9; double g=N/s/1e9; if(g>best)best=g; printf("%.1f ",g);} printf("\nbest %.1f GB/s with %d threads\n",best,T); }
