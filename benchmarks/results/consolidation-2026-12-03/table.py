import json,statistics as st,sys
pre=sys.argv[1]; n=int(sys.argv[2])
rows={}
for side in ['before','after']:
    for r in range(1,n+1):
        d=json.load(open(f'{pre}{side}-{r}.json'))
        for row in d['rows']:
            k=(row['op'],row['pass'],row['shape'])
            rows.setdefault(k,{'before':[],'after':[]})
            rows[k][side].append((row['time_ms']['median'],row['time_ms']['min']))
print("| op | pass | shape | before median ms | after median ms | after/before (median) | before min | after min | after/before (min) |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
for k,v in rows.items():
    bm=st.median(x[0] for x in v['before']); am=st.median(x[0] for x in v['after'])
    bn=min(x[1] for x in v['before']); an=min(x[1] for x in v['after'])
    print(f"| {k[0]} | {k[1]} | {k[2]} | {bm:.3f} | {am:.3f} | {am/bm:.2f} | {bn:.3f} | {an:.3f} | {an/bn:.2f} |")
