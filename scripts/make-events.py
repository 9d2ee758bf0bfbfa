#!/usr/bin/python3
"""Generates a small CTA-like FITS event list, for trying and testing the ctselect and ctbin plugins.

A point source (the Crab by default) seen through a Gaussian PSF over an isotropic background that fills a
cone around the pointing, with power-law energies and uniformly spread arrival times: the same layout as the
event lists the CTA simulator ctobssim writes (an EVENTS binary table and a GTI table, units TeV, deg, s).

Run it with Debian's /usr/bin/python3 (python3-astropy, python3-numpy; see scripts/install-science.sh):

    /usr/bin/python3 scripts/make-events.py --seed 1 --out events.fits

The output is deterministic for a given seed and options. On success it prints a JSON object with the numbers
of source and background events it generated.
"""
import argparse
import json
import sys

try:
    import numpy as np
    from astropy.io import fits
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.exit(f"make-events: {e}; run it with /usr/bin/python3 after scripts/install-science.sh "
             "(Debian's python3-numpy and python3-astropy)")

# Crab nebula and the usual CTA pointing 0.5 deg north of it (as in the ctools examples).
CRAB_RA, CRAB_DEC = 83.633, 22.014
PNT_RA, PNT_DEC = 83.63, 22.51


def offset(ra0, dec0, sep, pa):
    """Positions at angular distance sep (deg) and position angle pa (deg, east of north) from (ra0, dec0)."""
    d0, s, p = np.radians(dec0), np.radians(sep), np.radians(pa)
    sin_dec = np.sin(d0) * np.cos(s) + np.cos(d0) * np.sin(s) * np.cos(p)
    dec = np.arcsin(np.clip(sin_dec, -1.0, 1.0))
    dra = np.arctan2(np.sin(p) * np.sin(s) * np.cos(d0), np.cos(s) - np.sin(d0) * sin_dec)
    return np.mod(ra0 + np.degrees(dra), 360.0), np.degrees(dec)


def power_law(rng, n, index, emin, emax):
    """n energies drawn from dN/dE ~ E^-index between emin and emax (inverse of the cumulative distribution)."""
    u = rng.random(n)
    if abs(index - 1.0) < 1e-9:
        return emin * (emax / emin) ** u
    a, b = emin ** (1.0 - index), emax ** (1.0 - index)
    return (a + u * (b - a)) ** (1.0 / (1.0 - index))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--nsource", type=int, default=2000, help="number of source events (default 2000)")
    ap.add_argument("--nbackground", type=int, default=20000, help="number of background events (default 20000)")
    ap.add_argument("--out", default="events.fits", help="output FITS file (default events.fits)")
    ap.add_argument("--src-ra", type=float, default=CRAB_RA, help=f"source RA, deg (default {CRAB_RA}, the Crab)")
    ap.add_argument("--src-dec", type=float, default=CRAB_DEC, help=f"source Dec, deg (default {CRAB_DEC})")
    ap.add_argument("--ra-pnt", type=float, default=PNT_RA, help=f"pointing RA, deg (default {PNT_RA})")
    ap.add_argument("--dec-pnt", type=float, default=PNT_DEC, help=f"pointing Dec, deg (default {PNT_DEC})")
    ap.add_argument("--radius", type=float, default=3.0, help="field of view radius, deg (default 3)")
    ap.add_argument("--psf", type=float, default=0.1, help="Gaussian PSF sigma, deg (default 0.1)")
    ap.add_argument("--index", type=float, default=2.5, help="source spectral index (default 2.5)")
    ap.add_argument("--bkg-index", type=float, default=2.7, help="background spectral index (default 2.7)")
    ap.add_argument("--emin", type=float, default=0.05, help="lowest energy, TeV (default 0.05)")
    ap.add_argument("--emax", type=float, default=100.0, help="highest energy, TeV (default 100)")
    ap.add_argument("--duration", type=float, default=1800.0, help="observation length, s (default 1800)")
    ap.add_argument("--obs-id", type=int, default=1, help="observation identifier (default 1)")
    a = ap.parse_args(argv)

    problems = []
    if a.nsource < 0 or a.nbackground < 0:
        problems.append("--nsource and --nbackground must not be negative")
    if not 0 < a.emin < a.emax:
        problems.append("need 0 < --emin < --emax")
    if not 0 < a.radius < 90:
        problems.append("need 0 < --radius < 90")
    if a.psf <= 0 or a.duration <= 0:
        problems.append("--psf and --duration must be positive")
    if problems:
        ap.error("; ".join(problems))

    rng = np.random.default_rng(a.seed)
    tstart, tstop = 0.0, float(a.duration)

    # Source: a 2-D Gaussian around the source, i.e. a Rayleigh-distributed offset at a random angle.
    sep = a.psf * np.sqrt(-2.0 * np.log1p(-rng.random(a.nsource)))
    src_ra, src_dec = offset(a.src_ra, a.src_dec, sep, rng.uniform(0.0, 360.0, a.nsource))
    src_e = power_law(rng, a.nsource, a.index, a.emin, a.emax)

    # Background: isotropic on the sky within the field of view (cos of the offset uniform).
    cos_r = np.cos(np.radians(a.radius))
    sep = np.degrees(np.arccos(rng.uniform(cos_r, 1.0, a.nbackground)))
    bkg_ra, bkg_dec = offset(a.ra_pnt, a.dec_pnt, sep, rng.uniform(0.0, 360.0, a.nbackground))
    bkg_e = power_law(rng, a.nbackground, a.bkg_index, a.emin, a.emax)

    n = a.nsource + a.nbackground
    ra = np.concatenate([src_ra, bkg_ra])
    dec = np.concatenate([src_dec, bkg_dec])
    energy = np.concatenate([src_e, bkg_e])
    mc_id = np.concatenate([np.ones(a.nsource, np.int32), np.full(a.nbackground, 2, np.int32)])
    time = rng.uniform(tstart, tstop, n)
    order = np.argsort(time, kind="stable")

    cols = [
        fits.Column(name="EVENT_ID", format="1J", array=np.arange(1, n + 1, dtype=np.int32)),
        fits.Column(name="TIME", format="1D", unit="s", array=time[order]),
        fits.Column(name="RA", format="1E", unit="deg", array=ra[order]),
        fits.Column(name="DEC", format="1E", unit="deg", array=dec[order]),
        fits.Column(name="ENERGY", format="1E", unit="TeV", array=energy[order]),
        # Monte Carlo truth as ctobssim writes it: 1 = the source, 2 = background.
        fits.Column(name="MC_ID", format="1J", array=mc_id[order]),
    ]
    events = fits.BinTableHDU.from_columns(cols, name="EVENTS")
    h = events.header
    cards = [
        ("HDUCLASS", "OGIP", "format conforms to OGIP standard"),
        ("HDUCLAS1", "EVENTS", "extension contains events"),
        ("TELESCOP", "CTA", "telescope"),
        ("OBS_ID", a.obs_id, "observation identifier"),
        ("OBJECT", "Crab", "observed object"),
        ("RA_OBJ", a.src_ra, "[deg] target RA"),
        ("DEC_OBJ", a.src_dec, "[deg] target Dec"),
        ("RA_PNT", a.ra_pnt, "[deg] pointing RA"),
        ("DEC_PNT", a.dec_pnt, "[deg] pointing Dec"),
        ("RADECSYS", "FK5", "coordinate reference system"),
        ("EQUINOX", 2000.0, "epoch"),
        ("MJDREFI", 51544, "[days] integer part of the MJD reference"),
        ("MJDREFF", 0.5, "[days] fractional part of the MJD reference"),
        ("TIMEUNIT", "s", "time unit"),
        ("TIMESYS", "TT", "time system"),
        ("TIMEREF", "LOCAL", "time reference"),
        ("TSTART", tstart, "[s] start time"),
        ("TSTOP", tstop, "[s] stop time"),
        ("ONTIME", tstop - tstart, "[s] total good time"),
        ("LIVETIME", 0.95 * (tstop - tstart), "[s] livetime"),
        ("DEADC", 0.95, "deadtime correction"),
        ("EUNIT", "TeV", "energy unit"),
        ("NSRCEVT", a.nsource, "simulated source events"),
        ("NBKGEVT", a.nbackground, "simulated background events"),
        ("SEED", a.seed, "random seed of the simulation"),
        ("CREATOR", "make-events.py", "UWS Host example data"),
    ]
    for key, value, comment in cards:
        h[key] = (value, comment)
    # The data sub-space the events fill (the keywords ctselect updates).
    ds = [
        ("TIME", "s", f"TABLE;{tstart:.6g}:{tstop:.6g}"),
        ("POS(RA,DEC)", "deg", f"CIRCLE({a.ra_pnt:.6g},{a.dec_pnt:.6g},{a.radius:.6g})"),
        ("ENERGY", "TeV", f"{a.emin:.6g}:{a.emax:.6g}"),
    ]
    h["NDSKEYS"] = (len(ds), "number of data sub-space keys")
    for i, (typ, unit, val) in enumerate(ds, 1):
        h[f"DSTYP{i}"] = (typ, "data sub-space type")
        h[f"DSUNI{i}"] = (unit, "data sub-space unit")
        h[f"DSVAL{i}"] = (val, "data sub-space value")

    gti = fits.BinTableHDU.from_columns(
        [fits.Column(name="START", format="1D", unit="s", array=[tstart]),
         fits.Column(name="STOP", format="1D", unit="s", array=[tstop])], name="GTI")
    for key in ("MJDREFI", "MJDREFF", "TIMEUNIT", "TIMESYS", "TIMEREF", "TSTART", "TSTOP"):
        gti.header[key] = (h[key], h.comments[key])

    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "CTA"
    primary.header["CREATOR"] = "make-events.py"
    fits.HDUList([primary, events, gti]).writeto(a.out, overwrite=True)

    print(json.dumps({"out": a.out, "seed": a.seed, "source": a.nsource, "background": a.nbackground, "total": n}))


if __name__ == "__main__":
    main()
