#!/usr/bin/python3
"""ctselect for UWS Host: selects the events of a CTA event list inside a cone, an energy range and
(optionally) a time range, like the CTA science tool ctselect.

Reads the EVENTS extension of the input FITS file and writes the selected rows with every column and header
keyword kept, the data sub-space keywords (DSTYPn/DSUNIn/DSVALn) narrowed to the selection, SEL* keywords
recording the cuts, and the GTI extension (if any) cut to the time range. Writes a log with the counts.

Needs Debian's /usr/bin/python3 with python3-numpy and python3-astropy (scripts/install-science.sh).
Exit codes: 0 done, 2 bad parameters, 3 missing Python packages, 4 unusable input file.
"""
import argparse
import math
import sys

try:
    import numpy as np
    from astropy.io import fits
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write(f"ctselect: {e}: this payload needs /usr/bin/python3 with Debian's python3-numpy and "
                     "python3-astropy (scripts/install-science.sh installs them)\n")
    sys.exit(3)


class Failure(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def number(name, text, required=False):
    """A parameter's value: the host passes '' for an optional parameter that was not given."""
    if text is None or text.strip() == "":
        if required:
            raise Failure(f"parameter {name} is required", 2)
        return None
    try:
        v = float(text)
    except ValueError:
        raise Failure(f"parameter {name}: '{text}' is not a number", 2)
    if not math.isfinite(v):
        raise Failure(f"parameter {name}: '{text}' is not a finite number", 2)
    return v


def boolean(text):
    return (text or "").strip().lower() in ("true", "1", "yes")


def separation(ra, dec, ra0, dec0):
    """Angular distance in deg (haversine, exact at small separations)."""
    ra, dec, ra0, dec0 = (np.radians(x) for x in (ra, dec, ra0, dec0))
    h = np.sin((dec - dec0) / 2) ** 2 + np.cos(dec) * np.cos(dec0) * np.sin((ra - ra0) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def open_events(path):
    try:
        hdul = fits.open(path, memmap=False)
    except Exception as e:
        raise Failure(f"inobs: cannot read '{path}' as FITS ({e})", 4)
    if "EVENTS" not in hdul:
        raise Failure(f"inobs: '{path}' has no EVENTS extension (HDUs: "
                      f"{', '.join(h.name or '?' for h in hdul)})", 4)
    ev = hdul["EVENTS"]
    if not isinstance(ev, fits.BinTableHDU):
        raise Failure("inobs: the EVENTS extension is not a binary table", 4)
    missing = [c for c in ("TIME", "RA", "DEC", "ENERGY") if c not in ev.columns.names]
    if missing:
        raise Failure(f"inobs: the EVENTS table lacks the column(s) {', '.join(missing)}", 4)
    return hdul, ev


def set_ds(header, typ, unit, value):
    """Sets (or replaces) the data sub-space key of the given type; keeps NDSKEYS up to date."""
    n = int(header.get("NDSKEYS", 0))
    for i in range(1, n + 1):
        if str(header.get(f"DSTYP{i}", "")).upper() == typ.upper():
            header[f"DSVAL{i}"] = value
            header[f"DSUNI{i}"] = unit
            return
    n += 1
    header["NDSKEYS"] = (n, "number of data sub-space keys")
    header[f"DSTYP{n}"] = (typ, "data sub-space type")
    header[f"DSUNI{n}"] = (unit, "data sub-space unit")
    header[f"DSVAL{n}"] = (value, "data sub-space value")


def run(a, log):
    rad = number("rad", a.rad, required=True)
    emin = number("emin", a.emin, required=True)
    emax = number("emax", a.emax, required=True)
    tmin = number("tmin", a.tmin)
    tmax = number("tmax", a.tmax)
    usepnt = boolean(a.usepnt)
    if not 0 < rad <= 180:
        raise Failure(f"parameter rad: {rad} deg is not in (0, 180]", 2)
    if not 0 <= emin < emax:
        raise Failure(f"parameters emin/emax: need 0 <= emin < emax, got emin={emin} TeV, emax={emax} TeV", 2)
    if tmin is not None and tmax is not None and tmin >= tmax:
        raise Failure(f"parameters tmin/tmax: need tmin < tmax, got tmin={tmin} s, tmax={tmax} s", 2)

    hdul, ev = open_events(a.inobs)
    h = ev.header
    if usepnt:
        if "RA_PNT" not in h or "DEC_PNT" not in h:
            raise Failure("usepnt=true but the EVENTS header has no RA_PNT/DEC_PNT", 4)
        ra0, dec0 = float(h["RA_PNT"]), float(h["DEC_PNT"])
        centre_from = "pointing (RA_PNT, DEC_PNT)"
    else:
        ra0, dec0 = number("ra", a.ra), number("dec", a.dec)
        if ra0 is None or dec0 is None:
            raise Failure("give the cone centre with ra and dec, or set usepnt=true to use the pointing", 2)
        centre_from = "parameters ra, dec"
    if not -90 <= dec0 <= 90:
        raise Failure(f"parameter dec: {dec0} is not in [-90, 90]", 2)

    data = ev.data
    n_in = len(data)
    ra = np.asarray(data["RA"], dtype=np.float64)
    dec = np.asarray(data["DEC"], dtype=np.float64)
    energy = np.asarray(data["ENERGY"], dtype=np.float64)
    time = np.asarray(data["TIME"], dtype=np.float64)

    log(f"ctselect (UWS Host payload, numpy {np.__version__})")
    log(f"input            : {a.inobs}")
    log(f"observation      : OBS_ID={h.get('OBS_ID', '?')} OBJECT={h.get('OBJECT', '?')} "
        f"RA_PNT={h.get('RA_PNT', '?')} DEC_PNT={h.get('DEC_PNT', '?')}")
    log(f"cone             : RA={ra0:.6f} deg, Dec={dec0:.6f} deg, radius={rad:g} deg (centre from {centre_from})")
    log(f"energy range     : {emin:g} - {emax:g} TeV (both ends included)")
    log(f"time range       : {'-inf' if tmin is None else f'{tmin:g}'} - "
        f"{'+inf' if tmax is None else f'{tmax:g}'} s (both ends included)")
    log(f"events read      : {n_in}")

    keep = np.ones(n_in, dtype=bool)
    if tmin is not None:
        keep &= time >= tmin
    if tmax is not None:
        keep &= time <= tmax
    log(f"after time cut   : {int(keep.sum())}")
    keep &= (energy >= emin) & (energy <= emax)
    log(f"after energy cut : {int(keep.sum())}")
    keep &= separation(ra, dec, ra0, dec0) <= rad
    n_out = int(keep.sum())
    log(f"after cone cut   : {n_out}")
    if "MC_ID" in data.columns.names:
        mc = np.asarray(data["MC_ID"])[keep]
        by_id = ", ".join(f"{int(k)}: {int((mc == k).sum())}" for k in np.unique(mc))
        log(f"  by MC_ID       : {by_id or 'none'} (1 = source, 2 = background in simulated data)")

    out_ev = fits.BinTableHDU(data=data[keep], header=h.copy(), name="EVENTS")
    oh = out_ev.header
    t0 = float(h.get("TSTART", time.min() if n_in else 0.0))
    t1 = float(h.get("TSTOP", time.max() if n_in else 0.0))
    if tmin is not None:
        t0 = max(t0, tmin)
    if tmax is not None:
        t1 = min(t1, tmax)
    if tmin is not None or tmax is not None:
        oh["TSTART"] = t0
        oh["TSTOP"] = t1
        if "ONTIME" in oh:
            old = float(h.get("TSTOP", t1)) - float(h.get("TSTART", t0))
            new = max(0.0, t1 - t0)
            if "LIVETIME" in oh and old > 0:
                oh["LIVETIME"] = float(h["LIVETIME"]) * new / old
            oh["ONTIME"] = new
    set_ds(oh, "TIME", "s", f"TABLE;{t0:.10g}:{t1:.10g}")
    set_ds(oh, "POS(RA,DEC)", "deg", f"CIRCLE({ra0:.10g},{dec0:.10g},{rad:.10g})")
    set_ds(oh, "ENERGY", "TeV", f"{emin:.10g}:{emax:.10g}")
    cuts = [
        ("SELRA", ra0, "[deg] selection cone centre RA"),
        ("SELDEC", dec0, "[deg] selection cone centre Dec"),
        ("SELRAD", rad, "[deg] selection cone radius"),
        ("SELEMIN", emin, "[TeV] selection lower energy"),
        ("SELEMAX", emax, "[TeV] selection upper energy"),
        ("SELTMIN", t0, "[s] selection start time"),
        ("SELTMAX", t1, "[s] selection stop time"),
        ("SELNIN", n_in, "events before selection"),
        ("SELNOUT", n_out, "events after selection"),
    ]
    for key, value, comment in cuts:
        oh[key] = (value, comment)
    oh["HISTORY"] = (f"ctselect: cone ({ra0:g},{dec0:g},{rad:g}) deg, energy [{emin:g},{emax:g}] TeV, "
                     f"time [{t0:g},{t1:g}] s: {n_out} of {n_in} events")

    out = [fits.PrimaryHDU(header=hdul[0].header.copy()) if isinstance(hdul[0], fits.PrimaryHDU) else fits.PrimaryHDU()]
    out.append(out_ev)
    if "GTI" in hdul and isinstance(hdul["GTI"], fits.BinTableHDU):
        g = hdul["GTI"]
        start = np.maximum(np.asarray(g.data["START"], dtype=np.float64), t0)
        stop = np.minimum(np.asarray(g.data["STOP"], dtype=np.float64), t1)
        ok = stop > start
        gti = fits.BinTableHDU.from_columns(
            [fits.Column(name="START", format="1D", unit="s", array=start[ok]),
             fits.Column(name="STOP", format="1D", unit="s", array=stop[ok])],
            header=g.header.copy(), name="GTI")
        gti.header["TSTART"] = t0
        gti.header["TSTOP"] = t1
        out.append(gti)
        log(f"good time        : {len(g.data)} interval(s) in, {int(ok.sum())} out, "
            f"{float((stop[ok] - start[ok]).sum()):g} s")
    fits.HDUList(out).writeto(a.outobs, overwrite=True)
    log(f"output           : {a.outobs} ({n_out} events)")
    hdul.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Select events by cone, energy and time (CTA ctselect).")
    ap.add_argument("--inobs", required=True, help="input event list (FITS with an EVENTS table)")
    ap.add_argument("--outobs", required=True, help="output event list (FITS)")
    ap.add_argument("--logfile", required=True, help="log file")
    for name in ("ra", "dec", "rad", "emin", "emax", "tmin", "tmax", "usepnt"):
        ap.add_argument(f"--{name}", default="", help="'' when not given")
    a = ap.parse_args(argv)

    lines = []

    def log(line):
        lines.append(line)
        print(line, flush=True)

    code = 0
    try:
        run(a, log)
    except Failure as f:
        log(f"ERROR: {f}")
        sys.stderr.write(f"ctselect: {f}\n")
        code = f.code
    finally:
        with open(a.logfile, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
