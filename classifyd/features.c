/*
 * features: per-frame measurements for the classifier.  Each call takes the
 * next 20 ms frame; the spectrum comes from a 32 ms Hann window ending at
 * that frame (FFTW r2c, 31.25 Hz bins), the pitch from a 40 ms normalised
 * autocorrelation, and the call-progress tone shares from Goertzel filters
 * over 50 ms (20 Hz resolution, enough to tell 440 from 480 Hz).  Nothing
 * here knows about windows, calls or the bus.
 */
#include <errno.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Only the spandsp parts needed: <spandsp.h> clashes with sphinxbase. */
#include <spandsp/telephony.h>
#include <spandsp/complex.h>
#include <spandsp/tone_detect.h>

#include "classifyd.h"

#define FEAT_HIST 512 /* samples kept: the long window */
#define FEAT_GSPAN 400 /* the Goertzel span, 50 ms */
#define FEAT_LWIN 512 /* the long window for spectral peaks, 64 ms */
#define FEAT_LNBIN (FEAT_LWIN / 2 + 1)
#define FEAT_LK0 10   /* peaks from 156 Hz */
#define FEAT_LK1 224  /* to 3500 Hz */
#define FEAT_PHIST 11 /* frames of peak maps kept (200 ms back) */
#define FEAT_PWORDS ((FEAT_LNBIN + 63) / 64)
#define FEAT_NBIN (FEAT_WIN / 2 + 1)
#define FEAT_BIN_HZ ((double)FEAT_RATE / FEAT_WIN)
#define PITCH_LMIN 10  /* 400 Hz at 4 kHz */
#define PITCH_LMAX 80  /* 50 Hz */
#define PITCH_LEN 80   /* 20 ms correlated at each lag */
#define PITCH_SPAN (PITCH_LEN + PITCH_LMAX + 1) /* decimated samples used */
_Static_assert(PITCH_LEN % 4 == 0, "feat_pitch sums PITCH_LEN in fours");

struct feat {
	double hist[FEAT_HIST]; /* the latest samples, oldest first */
	double hann[FEAT_WIN];
	double *in;
	fftw_complex *spec;
	fftw_plan plan;
	double prev_mag[FEAT_NBIN];
	int have_prev;
	double lhann[FEAT_LWIN];
	double *lin;
	fftw_complex *lspec;
	fftw_plan lplan;
	double *min;		/* envelope for the modulation spectrum */
	fftw_complex *mspec;
	fftw_plan mplan;
	uint64_t pmap[FEAT_PHIST][FEAT_PWORDS]; /* peak maps, ring */
	unsigned long nfr;
};

/* Band edges in FFT bins: roughly mel-spaced over 190-3600 Hz. */
static const int feat_band_edge[FEAT_NBANDS + 1] = {
    6, 8, 10, 12, 14, 17, 20, 24, 28, 33, 39, 46, 54, 63, 74, 86, 116};

int
feat_new(struct feat **out)
{
	struct feat *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->in = fftw_alloc_real(FEAT_WIN);
	f->spec = fftw_alloc_complex(FEAT_NBIN);
	f->lin = fftw_alloc_real(FEAT_LWIN);
	f->lspec = fftw_alloc_complex(FEAT_LNBIN);
	f->min = fftw_alloc_real(FEAT_MODN);
	f->mspec = fftw_alloc_complex(FEAT_MODN / 2 + 1);
	if (f->in == NULL || f->spec == NULL || f->lin == NULL ||
	    f->lspec == NULL || f->min == NULL || f->mspec == NULL) {
		feat_free(f);
		return -ENOMEM;
	}
	f->plan = fftw_plan_dft_r2c_1d(FEAT_WIN, f->in, f->spec,
				       FFTW_ESTIMATE);
	f->lplan = fftw_plan_dft_r2c_1d(FEAT_LWIN, f->lin, f->lspec,
					FFTW_ESTIMATE);
	f->mplan = fftw_plan_dft_r2c_1d(FEAT_MODN, f->min, f->mspec,
					FFTW_ESTIMATE);
	if (f->plan == NULL || f->lplan == NULL || f->mplan == NULL) {
		feat_free(f);
		return -ENOMEM;
	}
	for (int i = 0; i < FEAT_WIN; i++)
		f->hann[i] = 0.5 - 0.5 * cos(2 * M_PI * i / (FEAT_WIN - 1));
	for (int i = 0; i < FEAT_LWIN; i++)
		f->lhann[i] = 0.5 - 0.5 * cos(2 * M_PI * i / (FEAT_LWIN - 1));
	*out = f;
	return 0;
}

void
feat_free(struct feat *f)
{
	if (f == NULL)
		return;
	if (f->plan != NULL)
		fftw_destroy_plan(f->plan);
	if (f->lplan != NULL)
		fftw_destroy_plan(f->lplan);
	if (f->mplan != NULL)
		fftw_destroy_plan(f->mplan);
	fftw_free(f->min);
	fftw_free(f->mspec);
	fftw_free(f->in);
	fftw_free(f->spec);
	fftw_free(f->lin);
	fftw_free(f->lspec);
	free(f);
}

/*
 * The span of samples the call-progress tones are measured on, as 16-bit
 * samples for spandsp's Goertzel filter: scaled to full range so that quiet
 * tones keep their precision; *scale is the factor applied.
 */
static int
feat_span16(const double *x, int n, int16_t *pcm, double *scale)
{
	double peak = 0;

	for (int i = 0; i < n; i++) {
		double v = x[i] < 0 ? -x[i] : x[i];
		if (v > peak)
			peak = v;
	}
	if (peak <= 0)
		return -1;
	*scale = 32000.0 / peak;
	for (int i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(x[i] * *scale);
	return 0;
}

/* |X(freq)|^2 of pcm[0..n) by spandsp's Goertzel filter, unscaled by a. */
static double
feat_goertzel(const int16_t *pcm, int n, double freq, double a)
{
	goertzel_descriptor_t desc;
	goertzel_state_t st;

	make_goertzel_descriptor(&desc, (float)freq, n);
	goertzel_init(&st, &desc);
	goertzel_update(&st, pcm, n);
	return goertzel_result(&st) / (a * a);
}

/*
 * Pitch: the best normalised autocorrelation over 50-400 Hz lags, on the
 * signal decimated to 4 kHz (pairs averaged) with running energy sums, and
 * a parabolic refinement of the chosen lag.
 */
static void
feat_pitch(const double *x, int n, double *harm, double *pitch)
{
	double d[PITCH_SPAN], pre[PITCH_SPAN + 1], best = 0, e0, rr[PITCH_LMAX + 2];
	const double *a = x + n - 2 * PITCH_SPAN;
	int lag = 0;

	for (int i = 0; i < PITCH_SPAN; i++)
		d[i] = 0.5 * (a[2 * i] + a[2 * i + 1]);
	pre[0] = 0;
	for (int i = 0; i < PITCH_SPAN; i++)
		pre[i + 1] = pre[i] + d[i] * d[i];
	e0 = pre[PITCH_LEN];
	*harm = 0;
	*pitch = 0;
	if (e0 <= 1e-9)
		return;
	for (int l = PITCH_LMIN - 1; l <= PITCH_LMAX + 1 && l + PITCH_LEN <= PITCH_SPAN; l++) {
		double xy, e1 = pre[l + PITCH_LEN] - pre[l];
		double s0 = 0, s1 = 0, s2 = 0, s3 = 0;

		/*
		 * Four running sums, not one: the additions of one sum wait
		 * on each other, four keep the vector unit busy (this loop
		 * is the classifier's largest single cost).
		 */
		for (int i = 0; i < PITCH_LEN; i += 4) {
			s0 += d[i] * d[i + l];
			s1 += d[i + 1] * d[i + 1 + l];
			s2 += d[i + 2] * d[i + 2 + l];
			s3 += d[i + 3] * d[i + 3 + l];
		}
		xy = (s0 + s1) + (s2 + s3);
		rr[l] = e1 > 1e-9 ? xy / sqrt(e0 * e1) : 0;
	}
	for (int l = PITCH_LMIN; l <= PITCH_LMAX; l++) {
		double r = rr[l];

		/* Prefer the shortest lag near the maximum (no octave drop). */
		if (r > best + 0.02 || (lag == 0 && r > best)) {
			best = r;
			lag = l;
		}
	}
	if (lag > 0) {
		double y0 = rr[lag - 1], y1 = rr[lag], y2 = rr[lag + 1];
		double den = y0 - 2 * y1 + y2, off = 0;

		if (den < 0) {
			off = 0.5 * (y0 - y2) / den;
			if (off > 0.5 || off < -0.5)
				off = 0;
		}
		*pitch = (double)FEAT_RATE / (2 * (lag + off));
	}
	*harm = best < 0 ? 0 : best;
}

static int
feat_has_peak(const uint64_t *m, int k)
{
	for (int j = k - 1; j <= k + 1; j++)
		if (m[j / 64] >> (j % 64) & 1)
			return 1;
	return 0;
}

/*
 * Spectral peaks of the 64 ms window ending now: local maxima between 156
 * and 3500 Hz standing 6 dB over their neighbourhood (bins 2-4 away on
 * both sides) and within 40 dB of the strongest.  The share of their power
 * at bins that held a peak 100 ms and 200 ms ago is the tonal continuity.
 */
static void
feat_tonal(struct feat *f, struct feat_frame *out)
{
	double pw[FEAT_LNBIN], top = 0, tot = 0, held = 0, held2 = 0;
	const double *win = f->hist + FEAT_HIST - FEAT_LWIN;
	uint64_t *m = f->pmap[f->nfr % FEAT_PHIST];
	const uint64_t *m5 = f->pmap[(f->nfr + FEAT_PHIST - 5) % FEAT_PHIST];
	const uint64_t *m10 = f->pmap[(f->nfr + FEAT_PHIST - 10) % FEAT_PHIST];
	int np = 0;

	for (int i = 0; i < FEAT_LWIN; i++)
		f->lin[i] = win[i] * f->lhann[i];
	fftw_execute(f->lplan);
	for (int k = 0; k < FEAT_LNBIN; k++) {
		pw[k] = f->lspec[k][0] * f->lspec[k][0] +
			f->lspec[k][1] * f->lspec[k][1];
		if (k >= FEAT_LK0 && k <= FEAT_LK1 && pw[k] > top)
			top = pw[k];
	}
	memset(m, 0, sizeof(f->pmap[0]));
	if (top > 1e-9) {
		for (int k = FEAT_LK0; k <= FEAT_LK1; k++) {
			double nb;

			if (pw[k] < top * 1e-4 || pw[k] <= pw[k - 1] ||
			    pw[k] < pw[k + 1])
				continue;
			nb = (pw[k - 4] + pw[k - 3] + pw[k - 2] + pw[k + 2] +
			      pw[k + 3] + pw[k + 4]) / 6;
			if (pw[k] < 4 * nb)
				continue;
			m[k / 64] |= (uint64_t)1 << (k % 64);
			np++;
			tot += pw[k];
			if (f->nfr >= 10 && feat_has_peak(m5, k)) {
				held += pw[k];
				if (feat_has_peak(m10, k))
					held2 += pw[k];
			}
		}
	}
	out->npeaks = np;
	out->tonal = tot > 0 ? held / tot : 0;
	out->tonal2 = tot > 0 ? held2 / tot : 0;
	f->nfr++;
}

void
feat_frame(struct feat *f, const int16_t *pcm, struct feat_frame *out)
{
	double pw[FEAT_NBIN], mag[FEAT_NBIN];
	double sum = 0, cross = 0, tot, lsum = 0, band = 0, cen = 0;
	double g440, g480, g620, norm, acc, fl = 0, nm = 0, pm = 0, ga = 1;
	int16_t g16[FEAT_GSPAN];
	const double *win, *gx;
	int nb = 0;

	memset(out, 0, sizeof(*out));
	memmove(f->hist, f->hist + FEAT_HOP,
		(FEAT_HIST - FEAT_HOP) * sizeof(double));
	for (int i = 0; i < FEAT_HOP; i++)
		f->hist[FEAT_HIST - FEAT_HOP + i] = pcm[i] / 32768.0;

	/* Time domain: level and zero crossings of the new 20 ms. */
	for (int i = 0; i < FEAT_HOP; i++) {
		double v = pcm[i] / 32768.0;

		sum += v * v;
		if (i > 0 && ((pcm[i] >= 0) != (pcm[i - 1] >= 0)))
			cross++;
	}
	out->energy_db = sum > 0 ? 10 * log10(sum / FEAT_HOP) : -100;
	if (out->energy_db < -100)
		out->energy_db = -100;
	out->zcr = cross / (FEAT_HOP - 1);

	/* Spectrum of the 32 ms Hann window ending now. */
	win = f->hist + FEAT_HIST - FEAT_WIN;
	for (int i = 0; i < FEAT_WIN; i++)
		f->in[i] = win[i] * f->hann[i];
	fftw_execute(f->plan);
	tot = 0;
	for (int k = 0; k < FEAT_NBIN; k++) {
		pw[k] = f->spec[k][0] * f->spec[k][0] +
			f->spec[k][1] * f->spec[k][1];
		mag[k] = sqrt(pw[k]);
		if (k >= 1) {
			tot += pw[k];
			cen += pw[k] * k * FEAT_BIN_HZ;
		}
	}
	if (tot > 1e-12) {
		out->centroid_hz = cen / tot;
		acc = 0;
		for (int k = 1; k < FEAT_NBIN; k++) {
			acc += pw[k];
			if (acc >= 0.85 * tot) {
				out->rolloff_hz = k * FEAT_BIN_HZ;
				break;
			}
		}
		for (int k = 6; k <= 112; k++) {
			lsum += log(pw[k] + 1e-12);
			band += pw[k];
			nb++;
		}
		out->flatness = band > 1e-12 ? exp(lsum / nb) / (band / nb)
					     : 0;
	}
	/* The strongest partial and its share: a single tone or not. */
	if (tot > 1e-12) {
		int kp = 10;
		double a, b, c, den, d = 0, near = 0;

		for (int k = 11; k <= 84; k++)
			if (pw[k] > pw[kp])
				kp = k;
		a = log(pw[kp - 1] + 1e-20);
		b = log(pw[kp] + 1e-20);
		c = log(pw[kp + 1] + 1e-20);
		den = a - 2 * b + c;
		if (den < 0)
			d = 0.5 * (a - c) / den;
		if (d > 0.5 || d < -0.5)
			d = 0;
		for (int k = kp - 2; k <= kp + 2; k++)
			near += pw[k];
		out->tone_hz = (kp + d) * FEAT_BIN_HZ;
		out->tone_share = near / tot;
	}
	for (int k = 0; k < FEAT_NBIN; k++) {
		nm += mag[k] * mag[k];
		pm += f->prev_mag[k] * f->prev_mag[k];
	}
	if (f->have_prev && nm > 1e-12 && pm > 1e-12) {
		nm = sqrt(nm);
		pm = sqrt(pm);
		for (int k = 0; k < FEAT_NBIN; k++) {
			double d = mag[k] / nm - f->prev_mag[k] / pm;

			fl += d * d;
		}
		out->flux = fl;
	}
	memcpy(f->prev_mag, mag, sizeof(mag));
	f->have_prev = 1;
	for (int b = 0; b < FEAT_NBANDS; b++) {
		double e = 0;

		for (int k = feat_band_edge[b]; k < feat_band_edge[b + 1]; k++)
			e += pw[k];
		out->bands[b] = (float)(10 * log10(e + 1e-10));
	}

	feat_tonal(f, out);

	/* Pitch and harmonicity. */
	feat_pitch(f->hist, FEAT_HIST, &out->harmonicity, &out->pitch_hz);

	/* Call-progress tones: energy share of each component. */
	norm = 0;
	gx = f->hist + FEAT_HIST - FEAT_GSPAN;
	for (int i = 0; i < FEAT_GSPAN; i++)
		norm += gx[i] * gx[i];
	/*
	 * The Goertzel filters run only when the 400-650 Hz band holds a
	 * fifth of the frame's spectrum or more: every call-progress component
	 * lies there (the tone rules ask for a quarter of the energy or
	 * more), and most music and speech frames are skipped.
	 */
	if (tot > 1e-12) {
		double tb = 0;
		for (int k = (int)(400 / FEAT_BIN_HZ);
		     k <= (int)(650 / FEAT_BIN_HZ) + 1; k++)
			tb += pw[k];
		if (tb < 0.2 * tot)
			norm = 0;
	}
	if (norm > 1e-7 && feat_span16(gx, FEAT_GSPAN, g16, &ga) == 0) {
		norm *= FEAT_GSPAN / 2.0;
		g440 = feat_goertzel(g16, FEAT_GSPAN, 440, ga) / norm;
		g480 = feat_goertzel(g16, FEAT_GSPAN, 480, ga) / norm;
		g620 = feat_goertzel(g16, FEAT_GSPAN, 620, ga) / norm;
		out->ringback = g440 + g480;
		out->busy = g480 + g620;
		out->tone_lo = fmin(g440, g480);
		out->tone_hi = fmin(g480, g620);
		/*
		 * Over the 50 ms span, 460 Hz falls on the first null of both
		 * a 440 and a 480 Hz component, so a true 440 + 480 pair
		 * leaves little there; one musical note between them (A#4
		 * at 466 Hz) leaks into both bins and peaks at 460 Hz.
		 */
		if (g440 + g480 > 0.3 &&
		    feat_goertzel(g16, FEAT_GSPAN, 460, ga) / norm >
			0.5 * (g440 + g480)) {
			out->ringback = 0;
			out->tone_lo = 0;
		}
		/* A 440 + 480 pair and a 480 + 620 pair exclude each other. */
		if (g620 > g440) {
			out->ringback = 0;
			out->tone_lo = 0;
		} else {
			out->busy = 0;
			out->tone_hi = 0;
		}
	}
}

double
feat_modulation(struct feat *f, const double *env, int n, double lo_hz,
		double hi_hz)
{
	int k0 = (int)ceil(lo_hz * FEAT_MODN * FEAT_FRAME_S);
	int k1 = (int)floor(hi_hz * FEAT_MODN * FEAT_FRAME_S);
	double m = 0, p = 0;

	if (n <= 0 || n > FEAT_MODN)
		return 0;
	for (int i = 0; i < n; i++)
		m += env[i] / n;
	for (int i = 0; i < FEAT_MODN; i++)
		f->min[i] = i < n ? env[i] - m : 0;
	fftw_execute(f->mplan);
	for (int k = k0; k <= k1 && k <= FEAT_MODN / 2; k++)
		p += f->mspec[k][0] * f->mspec[k][0] +
		     f->mspec[k][1] * f->mspec[k][1];
	return p;
}
