#!/usr/bin/env python3
"""Second pass of .ci/public-api.sh: builds the solution and applies what RS0016/RS0017 still report to each project's
PublicAPI.Unshipped.txt (adds the missing symbols, drops the vanished ones, keeps the file sorted). The analyzer's code
fix (dotnet format) misses some members of records whose primary constructor changed; the build's own diagnostics name
them exactly. Prints what it changed, then any other build error."""
import re,subprocess,collections
out=subprocess.run(['dotnet','build','Runtime.sln','-c','Release'],capture_output=True,text=True).stdout
add=collections.defaultdict(set); rem=collections.defaultdict(set)
for line in out.splitlines():
    m=re.search(r"error RS0016: Symbol '(.*)' is not part of the declared public API .*\[(.*\.csproj)\]",line)
    if m: add[m.group(2)].add(m.group(1)); continue
    m=re.search(r"error RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found .*\[(.*\.csproj)\]",line)
    if m: rem[m.group(2)].add(m.group(1))
import os
for proj in set(add)|set(rem):
    f=os.path.join(os.path.dirname(proj),'PublicAPI.Unshipped.txt')
    lines=open(f).read().splitlines()
    lines=[l for l in lines if l not in rem[proj]]
    head=[l for l in lines if l.startswith('#')]; body=[l for l in lines if not l.startswith('#')]
    body=sorted(set(body)|add[proj], key=str.lower)  # the order the files keep (case-insensitive)
    open(f,'w').write('\n'.join(head+body)+'\n')
    print(proj, len(add[proj]), 'added', len(rem[proj]), 'removed')
for l in sorted({l for l in out.splitlines() if ' error ' in l and 'RS001' not in l})[:20]:
    print(l)
