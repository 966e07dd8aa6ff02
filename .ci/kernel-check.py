#!/usr/bin/env python3
"""Compile-checks the portable kernel families (kernels/portable/*.h) without a GPU, for kernel authors.

  python3 .ci/kernel-check.py [family ...]        (default: every family)

For each family: NVRTC (libnvrtc.so.13/.12/.11.2) compiles the CUDA dialect for compute_90 and compute_80; where
`ptxas` is on PATH the PTX is assembled for sm_90/sm_80 and the registers and spills are reported; where an OpenCL
driver is installed (POCL in CI) the OpenCL dialect is built. Exit status 1 when anything fails to compile.
The program text is assembled as Tessera.Gpu.GpuSources.Program does: dialect + common.h + <family>.h.
"""
import ctypes, glob, os, shutil, subprocess, sys, tempfile

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels")
families = sys.argv[1:] or sorted(os.path.basename(p)[:-2] for p in glob.glob(f"{root}/portable/*.h") if not p.endswith("common.h"))


def read(rel):
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        return f.read()


def program(dialect, family):
    prelude = "cuda/dialect.cuh" if dialect == "cuda" else "opencl/dialect.clh"
    return (f'#line 1 "{prelude}"\n{read(prelude)}\n#line 1 "portable/common.h"\n{read("portable/common.h")}\n'
            f'#line 1 "portable/{family}.h"\n{read(f"portable/{family}.h")}\n')


def load(*names):
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError:
            pass
    return None


ok = True
nvrtc = load("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2")
ptxas = shutil.which("ptxas")
work = tempfile.mkdtemp(prefix="tessera-kernel-check-")
if nvrtc is None:
    print("NVRTC not found: CUDA dialect not checked")
for family in families if nvrtc else []:
    for cc in ("90", "80"):
        prog = ctypes.c_void_p()
        nvrtc.nvrtcCreateProgram(ctypes.byref(prog), program("cuda", family).encode(), f"{family}.cu".encode(), 0, None, None)
        opts = [f"--gpu-architecture=compute_{cc}".encode(), b"--std=c++17", b"-default-device", b"-lineinfo"]
        r = nvrtc.nvrtcCompileProgram(prog, len(opts), (ctypes.c_char_p * len(opts))(*opts))
        n = ctypes.c_size_t()
        nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(n))
        log = ctypes.create_string_buffer(n.value)
        nvrtc.nvrtcGetProgramLog(prog, log)
        line = f"nvrtc  {family:12} compute_{cc}: {'ok' if r == 0 else 'FAILED'}"
        if r == 0 and ptxas:
            nvrtc.nvrtcGetPTXSize(prog, ctypes.byref(n))
            ptx = ctypes.create_string_buffer(n.value)
            nvrtc.nvrtcGetPTX(prog, ptx)
            path = os.path.join(work, f"{family}_{cc}.ptx")
            with open(path, "wb") as f:
                f.write(ptx.value)
            res = subprocess.run([ptxas, f"-arch=sm_{cc}", "-v", path, "-o", path + ".cubin"], capture_output=True, text=True)
            regs = [int(l.split("Used ")[1].split(" registers")[0]) for l in res.stderr.splitlines() if "Used " in l and " registers" in l]
            spills = sum(1 for l in res.stderr.splitlines() if "spill" in l and " 0 bytes spill stores, 0 bytes spill loads" not in l)
            line += f"; ptxas sm_{cc} {'ok' if res.returncode == 0 else 'FAILED'}, {len(regs)} kernels, max {max(regs, default=0)} registers, {spills} spilling"
            if res.returncode:
                ok = False
                line += "\n" + res.stderr[:4000]
        print(line + (f"\n{log.value.decode(errors='replace').strip()}" if log.value.strip() else ""))
        ok &= r == 0

cl = load("libOpenCL.so.1")
platform, device = ctypes.c_void_p(), ctypes.c_void_p()
if cl is None or cl.clGetPlatformIDs(1, ctypes.byref(platform), None) != 0 or \
        cl.clGetDeviceIDs(platform, ctypes.c_ulong(0xFFFFFFFF), 1, ctypes.byref(device), None) != 0:
    print("no OpenCL device: OpenCL dialect not checked")
else:
    err = ctypes.c_int()
    cl.clCreateContext.restype = ctypes.c_void_p
    cl.clCreateProgramWithSource.restype = ctypes.c_void_p
    ctx = cl.clCreateContext(None, 1, ctypes.byref(device), None, None, ctypes.byref(err))
    for family in families:
        src = ctypes.c_char_p(program("opencl", family).encode())
        p = ctypes.c_void_p(cl.clCreateProgramWithSource(ctypes.c_void_p(ctx), 1, ctypes.byref(src), None, ctypes.byref(err)))
        r = cl.clBuildProgram(p, 1, ctypes.byref(device), b"-cl-std=CL1.2", None, None)
        n = ctypes.c_size_t()
        cl.clGetProgramBuildInfo(p, device, 0x1183, 0, None, ctypes.byref(n))
        log = ctypes.create_string_buffer(n.value)
        cl.clGetProgramBuildInfo(p, device, 0x1183, n, log, None)
        text = log.value.decode(errors="replace").strip()
        print(f"opencl {family:12}: {'ok' if r == 0 else f'FAILED ({r})'}" + (f"\n{text}" if r != 0 and text else ""))
        ok &= r == 0
shutil.rmtree(work, ignore_errors=True)
sys.exit(0 if ok else 1)
