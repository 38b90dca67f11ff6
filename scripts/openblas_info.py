"""Says which OpenBLAS kernel numpy runs (threadpoolctl), for the peer
scripts: a preset OPENBLAS_CORETYPE (Haswell on some machines) holds OpenBLAS
to older kernels, so every comparison prints what it compared against."""


def print_openblas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        print("# threadpoolctl missing: OpenBLAS kernel unknown")
        return
    for p in threadpool_info():
        if p.get("internal_api") == "openblas":
            print(f"# openblas {p.get('version')} kernel={p.get('architecture')} threads={p.get('num_threads')}")
