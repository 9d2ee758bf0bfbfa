#!/usr/bin/python3
"""ctbin for UWS Host: bins a CTA event list into a counts cube, like the CTA science tool ctbin.

The cube is the primary HDU of the output FITS file: axes 1 and 2 the sky map (celestial or galactic
coordinates, CAR or TAN projection, centred on xref/yref or on the pointing), axis 3 the energy bins, with a
WCS that describes all three (CTYPE3 ENER for linear bins, ENER-LOG for logarithmic ones, centres of the bins).
An EBOUNDS extension gives the exact bin edges and a GTI extension the good time, as ctbin writes them.
An event lands in the pixel whose centre is nearest to it; an energy bin includes its lower edge and the last
bin its upper edge as well. Also writes a PNG preview (the cube summed over energy) and a log with the counts.

Needs Debian's /usr/bin/python3 with python3-numpy, python3-astropy and python3-matplotlib
(scripts/install-science.sh). Exit codes: 0 done, 2 bad parameters, 3 missing packages, 4 unusable input.
"""
import argparse
import math
import os
import sys

try:
    import numpy as np
    from astropy.io import fits
    from astropy.wcs import WCS
    from astropy.coordinates import SkyCoord
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write(f"ctbin: {e}: this payload needs /usr/bin/python3 with Debian's python3-numpy, "
                     "python3-astropy and python3-matplotlib (scripts/install-science.sh installs them)\n")
    sys.exit(3)

MAX_VOXELS = 50_000_000  # 200 MB of 32-bit counts


class Failure(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def number(name, text, required=False, integer=False):
    """A parameter's value: the host passes '' for an optional parameter that was not given."""
    if text is None or text.strip() == "":
        if required:
            raise Failure(f"parameter {name} is required", 2)
        return None
    try:
        v = int(text) if integer else float(text)
    except ValueError:
        raise Failure(f"parameter {name}: '{text}' is not {'an integer' if integer else 'a number'}", 2)
    if not integer and not math.isfinite(v):
        raise Failure(f"parameter {name}: '{text}' is not a finite number", 2)
    return v


def boolean(text):
    return (text or "").strip().lower() in ("true", "1", "yes")


def energy_edges(alg, emin, emax, n):
    if alg == "FILE":
        raise Failure("ebinalg=FILE (energy boundaries read from a file) is not supported by this ctbin; "
                      "use ebinalg=LIN or ebinalg=LOG", 2)
    if alg == "LIN":
        return np.linspace(emin, emax, n + 1)
    if alg == "LOG":
        if emin <= 0:
            raise Failure(f"ebinalg=LOG needs emin > 0, got {emin} TeV", 2)
        return np.geomspace(emin, emax, n + 1)
    raise Failure(f"parameter ebinalg: '{alg}' is not one of LIN, LOG", 2)


def wcs_header(coordsys, proj, xref, yref, binsz, nxpix, nypix, edges, alg):
    """The cube's WCS as header cards (written as given: astropy would store the energy axis in J)."""
    lon, lat = ("RA--", "DEC-") if coordsys == "CEL" else ("GLON", "GLAT")
    # Third axis: the bin centres (geometric for LOG). For ENER-LOG (FITS WCS paper III)
    # E(p) = CRVAL3 * exp(CDELT3 * (p - CRPIX3) / CRVAL3), so CDELT3 = CRVAL3 * ln(edge ratio).
    if alg == "LOG":
        crval3 = math.sqrt(edges[0] * edges[1])
        cdelt3 = crval3 * math.log(edges[1] / edges[0])
    else:
        crval3 = 0.5 * (edges[0] + edges[1])
        cdelt3 = edges[1] - edges[0]
    h = fits.Header()
    h["WCSAXES"] = (3, "number of WCS axes")
    h["CTYPE1"] = (f"{lon}-{proj}", "longitude axis, projection")
    h["CTYPE2"] = (f"{lat}-{proj}", "latitude axis, projection")
    h["CTYPE3"] = ("ENER-LOG" if alg == "LOG" else "ENER", "energy axis (centres of the bins)")
    h["CUNIT1"], h["CUNIT2"], h["CUNIT3"] = "deg", "deg", "TeV"
    h["CRPIX1"] = ((nxpix + 1) / 2.0, "reference pixel: the map centre")
    h["CRPIX2"] = ((nypix + 1) / 2.0, "reference pixel: the map centre")
    h["CRPIX3"] = (1.0, "reference pixel: the first energy bin")
    h["CDELT1"] = (-binsz, "[deg] pixel size")
    h["CDELT2"] = (binsz, "[deg] pixel size")
    h["CDELT3"] = (cdelt3, "[TeV] energy increment at the reference pixel")
    h["CRVAL1"] = (xref, "[deg] map centre longitude")
    h["CRVAL2"] = (yref, "[deg] map centre latitude")
    h["CRVAL3"] = (crval3, "[TeV] centre of the first energy bin")
    if coordsys == "CEL":
        h["RADESYS"] = ("ICRS", "celestial reference frame")
    return h


def read_events(path):
    try:
        hdul = fits.open(path, memmap=False)
    except Exception as e:
        raise Failure(f"inobs: cannot read '{path}' as FITS ({e})", 4)
    if "EVENTS" not in hdul or not isinstance(hdul["EVENTS"], fits.BinTableHDU):
        raise Failure(f"inobs: '{path}' has no EVENTS binary table (HDUs: "
                      f"{', '.join(h.name or '?' for h in hdul)})", 4)
    ev = hdul["EVENTS"]
    missing = [c for c in ("RA", "DEC", "ENERGY") if c not in ev.columns.names]
    if missing:
        raise Failure(f"inobs: the EVENTS table lacks the column(s) {', '.join(missing)}", 4)
    return hdul, ev


def preview(path, cube, w, coordsys, title):
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.getcwd(), ".mplconfig"))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import PowerNorm

    image = cube.sum(axis=0)
    fig = plt.figure(figsize=(6.4, 5.6), dpi=100)
    ax = fig.add_subplot(1, 1, 1, projection=w.celestial)
    im = ax.imshow(image, origin="lower", cmap="inferno", interpolation="nearest",
                   norm=PowerNorm(gamma=0.5, vmin=0, vmax=max(1, int(image.max()))))
    ax.set_xlabel("Right Ascension" if coordsys == "CEL" else "Galactic longitude")
    ax.set_ylabel("Declination" if coordsys == "CEL" else "Galactic latitude")
    ax.coords.grid(True, color="white", alpha=0.25, linestyle=":")
    fig.colorbar(im, ax=ax, label="counts per pixel")
    ax.set_title(title, fontsize=9)
    fig.savefig(path, format="png")
    plt.close(fig)


def run(a, log):
    alg = (a.ebinalg or "LOG").strip().upper()
    emin = number("emin", a.emin, required=True)
    emax = number("emax", a.emax, required=True)
    nbins = number("enumbins", a.enumbins, required=True, integer=True)
    nxpix = number("nxpix", a.nxpix, required=True, integer=True)
    nypix = number("nypix", a.nypix, required=True, integer=True)
    binsz = number("binsz", a.binsz, required=True)
    coordsys = (a.coordsys or "CEL").strip().upper()
    proj = (a.proj or "CAR").strip().upper()
    usepnt = boolean(a.usepnt)
    if not 0 <= emin < emax:
        raise Failure(f"parameters emin/emax: need 0 <= emin < emax, got emin={emin} TeV, emax={emax} TeV", 2)
    if nbins < 1 or nxpix < 1 or nypix < 1:
        raise Failure("parameters enumbins, nxpix and nypix must be at least 1", 2)
    if nbins * nxpix * nypix > MAX_VOXELS:
        raise Failure(f"the cube would have {nbins * nxpix * nypix} voxels (enumbins x nxpix x nypix); "
                      f"the limit is {MAX_VOXELS}", 2)
    if not 0 < binsz <= 10:
        raise Failure(f"parameter binsz: {binsz} deg is not in (0, 10]", 2)
    if coordsys not in ("CEL", "GAL"):
        raise Failure(f"parameter coordsys: '{coordsys}' is not one of CEL, GAL", 2)
    if proj not in ("CAR", "TAN"):
        raise Failure(f"parameter proj: '{proj}' is not one of CAR, TAN", 2)
    if proj == "TAN" and max(nxpix, nypix) * binsz >= 170:
        raise Failure("a TAN map must span less than 170 deg; reduce nxpix/nypix or binsz", 2)
    edges = energy_edges(alg, emin, emax, nbins)

    hdul, ev = read_events(a.inobs)
    h = ev.header
    if usepnt:
        if "RA_PNT" not in h or "DEC_PNT" not in h:
            raise Failure("usepnt=true but the EVENTS header has no RA_PNT/DEC_PNT", 4)
        pnt = SkyCoord(float(h["RA_PNT"]), float(h["DEC_PNT"]), unit="deg", frame="icrs")
        if coordsys == "GAL":
            pnt = pnt.galactic
            xref, yref = float(pnt.l.deg), float(pnt.b.deg)
        else:
            xref, yref = float(pnt.ra.deg), float(pnt.dec.deg)
        centre_from = "pointing (RA_PNT, DEC_PNT)"
    else:
        xref, yref = number("xref", a.xref), number("yref", a.yref)
        if xref is None or yref is None:
            raise Failure("give the map centre with xref and yref, or set usepnt=true to centre on the pointing", 2)
        centre_from = "parameters xref, yref"
    if not -90 <= yref <= 90:
        raise Failure(f"parameter yref: {yref} is not in [-90, 90]", 2)

    wcs_cards = wcs_header(coordsys, proj, xref, yref, binsz, nxpix, nypix, edges, alg)
    w = WCS(wcs_cards)

    data = ev.data
    n_in = len(data)
    ra = np.asarray(data["RA"], dtype=np.float64)
    dec = np.asarray(data["DEC"], dtype=np.float64)
    energy = np.asarray(data["ENERGY"], dtype=np.float64)
    if coordsys == "GAL":
        g = SkyCoord(ra, dec, unit="deg", frame="icrs").galactic
        lon, lat = g.l.deg, g.b.deg
    else:
        lon, lat = ra, dec

    # Energy bin: edges[i] <= E < edges[i+1]; E == emax goes to the last bin.
    ebin = np.searchsorted(edges, energy, side="right") - 1
    ebin[energy == edges[-1]] = nbins - 1
    in_energy = (ebin >= 0) & (ebin < nbins)
    # Pixel: the nearest pixel centre (0-based pixel coordinates, centres at integers).
    with np.errstate(invalid="ignore"):
        px, py = w.celestial.wcs_world2pix(lon, lat, 0)
    ok = np.isfinite(px) & np.isfinite(py)
    ix = np.full(n_in, -1, dtype=np.int64)
    iy = np.full(n_in, -1, dtype=np.int64)
    ix[ok] = np.floor(px[ok] + 0.5).astype(np.int64)
    iy[ok] = np.floor(py[ok] + 0.5).astype(np.int64)
    in_map = ok & (ix >= 0) & (ix < nxpix) & (iy >= 0) & (iy < nypix)
    use = in_energy & in_map

    cube = np.zeros((nbins, nypix, nxpix), dtype=np.int32)
    np.add.at(cube, (ebin[use], iy[use], ix[use]), 1)
    total = int(cube.sum())

    log(f"ctbin (UWS Host payload, numpy {np.__version__})")
    log(f"input            : {a.inobs}")
    log(f"observation      : OBS_ID={h.get('OBS_ID', '?')} OBJECT={h.get('OBJECT', '?')} "
        f"RA_PNT={h.get('RA_PNT', '?')} DEC_PNT={h.get('DEC_PNT', '?')}")
    log(f"energy binning   : {alg}, {nbins} bins from {emin:g} to {emax:g} TeV")
    log(f"map              : {nxpix} x {nypix} pixels of {binsz:g} deg, {coordsys} {proj}, centre "
        f"({xref:.6f}, {yref:.6f}) deg (from {centre_from})")
    log(f"events read      : {n_in}")
    log(f"in energy range  : {int(in_energy.sum())}")
    log(f"inside the map   : {int(in_map.sum())}")
    log(f"total counts     : {total}")
    log("counts per energy bin:")
    per_bin = cube.sum(axis=(1, 2))
    for i in range(nbins):
        log(f"  {i:4d}  {edges[i]:12.6g} - {edges[i + 1]:12.6g} TeV  {int(per_bin[i])}")
    image = cube.sum(axis=0)
    if total > 0:
        yy, xx = np.unravel_index(int(np.argmax(image)), image.shape)
        plon, plat = w.celestial.wcs_pix2world([[xx, yy]], 0)[0]
        log(f"brightest pixel  : x={xx} y={yy} ({plon:.4f}, {plat:.4f}) deg, {int(image[yy, xx])} counts")

    primary = fits.PrimaryHDU(data=cube)
    ph = primary.header
    ph.extend(wcs_cards)
    ph["BUNIT"] = ("counts", "pixel values are event counts")
    for key in ("TELESCOP", "OBS_ID", "OBJECT", "RA_PNT", "DEC_PNT", "TSTART", "TSTOP", "ONTIME", "LIVETIME",
                "DEADC", "MJDREFI", "MJDREFF", "TIMEUNIT", "TIMESYS", "TIMEREF"):
        if key in h:
            ph[key] = (h[key], h.comments[key])
    ph["EBINALG"] = (alg, "energy binning algorithm")
    ph["EMIN"] = (emin, "[TeV] lower energy of the cube")
    ph["EMAX"] = (emax, "[TeV] upper energy of the cube")
    ph["NEVENTS"] = (n_in, "events in the input")
    ph["NCOUNTS"] = (total, "total counts in the cube")
    ph["HISTORY"] = f"ctbin: {total} of {n_in} events binned from {os.path.basename(a.inobs)}"

    ebounds = fits.BinTableHDU.from_columns(
        [fits.Column(name="CHANNEL", format="1J", array=np.arange(nbins, dtype=np.int32)),
         fits.Column(name="E_MIN", format="1D", unit="TeV", array=edges[:-1]),
         fits.Column(name="E_MAX", format="1D", unit="TeV", array=edges[1:])], name="EBOUNDS")
    out = [primary, ebounds]
    if "GTI" in hdul and isinstance(hdul["GTI"], fits.BinTableHDU):
        out.append(fits.BinTableHDU(data=hdul["GTI"].data, header=hdul["GTI"].header.copy(), name="GTI"))
    fits.HDUList(out).writeto(a.outcube, overwrite=True)
    log(f"output           : {a.outcube}")

    preview(a.preview, cube, w, coordsys,
            f"{h.get('OBJECT', 'counts')}: {total} counts, {emin:g}-{emax:g} TeV, {coordsys} {proj}")
    log(f"preview          : {a.preview}")
    hdul.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Bin an event list into a counts cube (CTA ctbin).")
    ap.add_argument("--inobs", required=True, help="input event list (FITS with an EVENTS table)")
    ap.add_argument("--outcube", required=True, help="output counts cube (FITS)")
    ap.add_argument("--preview", required=True, help="output preview (PNG)")
    ap.add_argument("--logfile", required=True, help="log file")
    for name in ("ebinalg", "emin", "emax", "enumbins", "nxpix", "nypix", "binsz", "coordsys", "proj",
                 "xref", "yref", "usepnt"):
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
        sys.stderr.write(f"ctbin: {f}\n")
        code = f.code
    finally:
        with open(a.logfile, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
