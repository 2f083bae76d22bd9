// odeint_gsl.cpp — peer driver for `grd bench integrators`: Boost.Odeint and
// GSL odeiv2 on grd's four work-precision problems, printing CSV with the
// same columns as grd:
//
//   problem,method,tol,error,nfev,steps,rejected,seconds
//
// Build:  g++ -O2 -std=c++17 -o odeint_gsl odeint_gsl.cpp -lgsl -lgslcblas -lm
// Run:    ./odeint_gsl [--reps 5] [--problems lorenz,arenstorf,...] [--tols 1e-3,...]
//         ./odeint_gsl --stiff 1 [--reps 5] [--problems robertson,vdp1000,hires] [--tols ...]
//
// With --stiff 1 it runs Boost's rosenbrock4 (Kaps–Rentrop 4(3), odeint's
// rosenbrock4_controller: RMS error norm with atol + rtol·max(|x_old|, |x|),
// as grd's) on grd's stiff problems Robertson, Van der Pol μ = 1000 and HIRES
// (bench/stiff.go), with their Jacobians supplied analytically (checked
// against central differences before the run), and prints grd's stiff
// columns problem,method,tol,error,nfev,steps,rejected,seconds,njac,njv,linsolves:
// njac counts the Jacobian evaluations (one per step attempt: the stepper
// factors I/(γh) − J anew each time); njv and linsolves are not counted (0).
// The stiff references are COPIED from bench/stiff.go (refRobertson,
// refVdP1000, refHIRES), as cvode_stiff.c's are. Default tolerances 1e-3 … 1e-8.
//
// Methods
//   boost-dopri5        runge_kutta_dopri5, controlled stepper (make_controlled),
//                       end time hit exactly by clipping the last step
//   boost-dopri5-dense  runge_kutta_dopri5, dense-output stepper (make_dense_output),
//                       steps past t_end and interpolates back (as integrate_* does)
//   boost-rkf78         runge_kutta_fehlberg78, controlled stepper
//   boost-rk4           runge_kutta4, fixed step; NOTE: the tol column holds the
//                       step size h (a tolerance means nothing for a fixed step)
//   gsl-rkf45, gsl-rk8pd  gsl_odeiv2_step_rkf45 / rk8pd driven by gsl_odeiv2_evolve_apply
//                       with gsl_odeiv2_control_y_new(atol, rtol) and end clipping
//
// Tolerances: rtol = atol = tol. Odeint's default error checker scales by
// atol + rtol·(|x| + dt·|dxdt|) and GSL's y-control by atol + rtol·|y|; grd uses
// an RMS norm with atol + rtol·max(|y0|,|y1|). These are each library's own
// documented defaults, which is what a user gets.
//
// Initial step: neither library chooses one; we pass h0 = 1e-3·(t1 − t0)
// (the controllers shrink it on the first rejection if too large).
//
// nfev is counted in the right-hand side. steps/rejected: accepted/rejected
// attempts of the controller. For the dense-output dopri5, Odeint retries
// internally; rejected is recovered from nfev = 1 + 6·(accepted + rejected)
// (dopri5 is FSAL: 6 new stages per attempt), or −1 if that does not hold.
//
// Error: max-norm distance of the state at t_end from grd's reference solution.
// The reference values are COPIED from bench/integrators.go (refLorenz,
// refVanDerPol, refGrdtoy: DOP853 at rtol = atol = 1e-14, cross-checked with Tsit5
// by grd's TestIntegratorReferences); Arenstorf's reference is y0 after one
// period. If integrators.go's references are regenerated, update them here and
// in scipy_ivp.py; run.sh checks all three agree (scipy_ivp.py --check-refs).
//
// Timing as grd's bench.RunIntegrators: one untimed solve gives the results and
// the batch size (enough solves for ≥ 2 ms, at most 1000); then `reps` timed
// repetitions of a batch, each divided by the batch size; the median is reported.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <boost/numeric/odeint.hpp>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

namespace odeint = boost::numeric::odeint;
using state = std::vector<double>;

// ---------------------------------------------------------------- problems

struct Problem {
    std::string name;
    std::function<void(const double *y, double *dy)> rhs;  // autonomous
    state y0;
    double t0, t1;
    state ref;
};

static const double kArenstorfMu = 0.012277471;
static const double kArenstorfPeriod = 17.0652165601579625588917206249;
static const int kToyDim = 10;
static const double kToyC = 0.01;

static void lorenz(const double *y, double *dy) {
    dy[0] = 10 * (y[1] - y[0]);
    dy[1] = y[0] * (28 - y[2]) - y[1];
    dy[2] = y[0] * y[1] - 8.0 / 3 * y[2];
}

static void arenstorf(const double *y, double *dy) {
    const double mu = kArenstorfMu, mup = 1 - kArenstorfMu;
    double r1 = std::hypot(y[0] + mu, y[1]);
    double r2 = std::hypot(y[0] - mup, y[1]);
    double d1 = r1 * r1 * r1, d2 = r2 * r2 * r2;
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = y[0] + 2 * y[3] - mup * (y[0] + mu) / d1 - mu * (y[0] - mup) / d2;
    dy[3] = y[1] - 2 * y[2] - mup * y[1] / d1 - mu * y[1] / d2;
}

static void vanderpol(const double *y, double *dy) {
    const double mu = 1;
    dy[0] = y[1];
    dy[1] = mu * (1 - y[0] * y[0]) * y[1] - y[0];
}

// grdtoy: w' = u, u' = −A u − c (u·u) A w, A = diag(1..10)/10.
static void grdtoy(const double *y, double *dy) {
    const double *w = y, *u = y + kToyDim;
    double uu = 0;
    for (int i = 0; i < kToyDim; i++) uu += u[i] * u[i];
    for (int i = 0; i < kToyDim; i++) {
        double a = (i + 1) / 10.0;
        dy[i] = u[i];
        dy[kToyDim + i] = -a * u[i] - kToyC * uu * a * w[i];
    }
}

static std::vector<Problem> problems() {
    state aren = {0.994, 0, 0, -2.00158510637908252240537862224};
    state toy0(2 * kToyDim);
    for (int i = 0; i < kToyDim; i++) {
        toy0[i] = 1;
        toy0[kToyDim + i] = -(i + 1) / 10.0;
    }
    // Copied from grd's bench/integrators.go (see the header comment).
    state refLorenz = {13.793199595061647, 12.951803936090039, 34.901608681072638};
    state refVdP = {2.0081497621749462, -0.042508875273199909};
    state refToy = {0.35231306943674107, 0.11508447980233522, 0.028709339588477774,
                    -0.0022837058021528984, -0.012994190256944465, -0.016318117473361898,
                    -0.01698726835678922, -0.016732746863744073, -0.016183761543842993,
                    -0.015565629771461404, -0.037822996309143854, -0.027827000514414352,
                    -0.015354202197203941, -0.0075303652271369826, -0.0034620933403362217,
                    -0.0015277689603249928, -0.00065521611831295624, -0.00027505148100238539,
                    -0.00011345844687813111, -4.6036466853234908e-05};
    return {
        {"lorenz", lorenz, {1, 1, 1}, 0, 20, refLorenz},
        {"arenstorf", arenstorf, aren, 0, kArenstorfPeriod, aren},
        {"vanderpol", vanderpol, {2, 0}, 0, 20, refVdP},
        {"grdtoy", grdtoy, toy0, 0, 10, refToy},
    };
}

// ---------------------------------------------------------------- solvers

struct Outcome {
    state y;
    long nfev = 0, steps = 0, rejected = 0;
    long njac = 0;  // stiff runs only
    bool ok = true;
};

// Counted RHS in Odeint's system signature.
struct OdeintSys {
    const Problem *p;
    long *nfev;
    void operator()(const state &x, state &dxdt, double /*t*/) const {
        ++*nfev;
        p->rhs(x.data(), dxdt.data());
    }
};

static const long kMaxSteps = 10000000;

template <class Controlled>
static Outcome odeintControlled(const Problem &p, Controlled stepper) {
    Outcome o;
    state x = p.y0;
    OdeintSys sys{&p, &o.nfev};
    double t = p.t0, dt = 1e-3 * (p.t1 - p.t0);
    while (t < p.t1) {
        if (o.steps + o.rejected > kMaxSteps) {
            o.ok = false;
            break;
        }
        bool last = t + dt >= p.t1;
        double h = last ? p.t1 - t : dt;
        double tn = t;
        odeint::controlled_step_result r = stepper.try_step(sys, x, tn, h);
        if (r == odeint::success) {
            o.steps++;
            if (last) {
                t = p.t1;
                break;
            }
            t = tn;
            dt = h;  // the controller's proposal for the next step
        } else {
            o.rejected++;
            dt = h;  // shrunk by the controller
        }
    }
    o.y = x;
    return o;
}

static Outcome odeintDense(const Problem &p, double tol) {
    Outcome o;
    OdeintSys sys{&p, &o.nfev};
    auto stepper = odeint::make_dense_output(tol, tol, odeint::runge_kutta_dopri5<state>());
    stepper.initialize(p.y0, p.t0, 1e-3 * (p.t1 - p.t0));
    while (stepper.current_time() < p.t1) {
        if (o.steps > kMaxSteps) {
            o.ok = false;
            break;
        }
        stepper.do_step(sys);
        o.steps++;
    }
    o.y = state(p.y0.size());
    stepper.calc_state(p.t1, o.y);
    long attempts = o.nfev - 1;
    o.rejected = (attempts % 6 == 0 && attempts / 6 >= o.steps) ? attempts / 6 - o.steps : -1;
    return o;
}

static Outcome odeintRK4(const Problem &p, long n) {
    Outcome o;
    state x = p.y0;
    OdeintSys sys{&p, &o.nfev};
    odeint::runge_kutta4<state> stepper;
    double h = (p.t1 - p.t0) / n;
    for (long k = 0; k < n; k++) {
        stepper.do_step(sys, x, p.t0 + k * h, h);
    }
    o.steps = n;
    o.y = x;
    return o;
}

struct GslCtx {
    const Problem *p;
    long *nfev;
};

static int gslRHS(double /*t*/, const double y[], double dydt[], void *params) {
    auto *c = static_cast<GslCtx *>(params);
    ++*c->nfev;
    c->p->rhs(y, dydt);
    return GSL_SUCCESS;
}

static Outcome gslSolve(const Problem &p, const gsl_odeiv2_step_type *T, double tol) {
    Outcome o;
    size_t dim = p.y0.size();
    GslCtx ctx{&p, &o.nfev};
    gsl_odeiv2_system sys = {gslRHS, nullptr, dim, &ctx};
    gsl_odeiv2_step *s = gsl_odeiv2_step_alloc(T, dim);
    gsl_odeiv2_control *c = gsl_odeiv2_control_y_new(tol, tol);
    gsl_odeiv2_evolve *e = gsl_odeiv2_evolve_alloc(dim);
    state y = p.y0;
    double t = p.t0, h = 1e-3 * (p.t1 - p.t0);
    while (t < p.t1) {
        if (o.steps > kMaxSteps) {
            o.ok = false;
            break;
        }
        // evolve_apply retries rejected steps internally and clips to t1.
        int st = gsl_odeiv2_evolve_apply(e, c, s, &sys, &t, p.t1, &h, y.data());
        if (st != GSL_SUCCESS) {
            o.ok = false;
            break;
        }
        o.steps++;
    }
    o.rejected = (long)e->failed_steps;
    gsl_odeiv2_evolve_free(e);
    gsl_odeiv2_control_free(c);
    gsl_odeiv2_step_free(s);
    o.y = y;
    return o;
}

// ---------------------------------------------------------------- stiff (rosenbrock4)

namespace ublas = boost::numeric::ublas;
using vec = ublas::vector<double>;
using mat = ublas::matrix<double>;

// StiffProblem has an autonomous RHS and its analytic Jacobian (row-major
// into jac, n×n).
struct StiffProblem {
    std::string name;
    std::function<void(const double *y, double *dy)> rhs;
    std::function<void(const double *y, double *jac)> jac;
    state y0;
    double t1;
    state ref;
};

static std::vector<StiffProblem> stiffProblems() {
    auto robertson = [](const double *y, double *dy) {
        dy[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
        dy[2] = 3e7 * y[1] * y[1];
        dy[1] = -dy[0] - dy[2];
    };
    auto robertsonJ = [](const double *y, double *J) {
        double r0[3] = {-0.04, 1e4 * y[2], 1e4 * y[1]}, r2[3] = {0, 6e7 * y[1], 0};
        for (int j = 0; j < 3; j++) {
            J[0 * 3 + j] = r0[j];
            J[2 * 3 + j] = r2[j];
            J[1 * 3 + j] = -r0[j] - r2[j];
        }
    };
    const double mu = 1000;
    auto vdp = [mu](const double *y, double *dy) {
        dy[0] = y[1];
        dy[1] = mu * (1 - y[0] * y[0]) * y[1] - y[0];
    };
    auto vdpJ = [mu](const double *y, double *J) {
        J[0] = 0;
        J[1] = 1;
        J[2] = -2 * mu * y[0] * y[1] - 1;
        J[3] = mu * (1 - y[0] * y[0]);
    };
    auto hires = [](const double *y, double *dy) {
        dy[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
        dy[1] = 1.71 * y[0] - 8.75 * y[1];
        dy[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
        dy[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
        dy[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
        dy[5] = -280 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
        dy[6] = 280 * y[5] * y[7] - 1.81 * y[6];
        dy[7] = -dy[6];
    };
    auto hiresJ = [](const double *y, double *J) {
        std::fill(J, J + 64, 0.0);
        auto at = [J](int i, int j) -> double & { return J[i * 8 + j]; };
        at(0, 0) = -1.71, at(0, 1) = 0.43, at(0, 2) = 8.32;
        at(1, 0) = 1.71, at(1, 1) = -8.75;
        at(2, 2) = -10.03, at(2, 3) = 0.43, at(2, 4) = 0.035;
        at(3, 1) = 8.32, at(3, 2) = 1.71, at(3, 3) = -1.12;
        at(4, 4) = -1.745, at(4, 5) = 0.43, at(4, 6) = 0.43;
        at(5, 3) = 0.69, at(5, 4) = 1.71, at(5, 5) = -280 * y[7] - 0.43, at(5, 6) = 0.69, at(5, 7) = -280 * y[5];
        at(6, 5) = 280 * y[7], at(6, 6) = -1.81, at(6, 7) = 280 * y[5];
        for (int j = 0; j < 8; j++) at(7, j) = -at(6, j);
    };
    // Copied from grd's bench/stiff.go (see the header comment).
    state refRob = {0.71582706872295887, 9.1855347645237017e-06, 0.28416374574227288};
    state refVdP = {-1.510606936743196, 0.0011783800007312067};
    state refHires = {0.00073713125733240704, 0.00014424857263158696, 5.8887297409646044e-05,
                      0.0011756513432828527,  0.002386356198826533,   0.0062389682527275664,
                      0.0028499983951826738,  0.0028500016048173381};
    return {
        {"robertson", robertson, robertsonJ, {1, 0, 0}, 40, refRob},
        {"vdp1000", vdp, vdpJ, {2, 0}, 3000, refVdP},
        {"hires", hires, hiresJ, {1, 0, 0, 0, 0, 0, 0, 0.0057}, 321.8122, refHires},
    };
}

// checkJacobian compares p.jac with central differences of p.rhs at y0 and
// at a perturbed state; false (and a message) if they disagree.
static bool checkJacobian(const StiffProblem &p) {
    size_t n = p.y0.size();
    for (int pass = 0; pass < 2; pass++) {
        state y = p.y0;
        for (size_t i = 0; i < n; i++) y[i] += pass * 0.1 * (i + 1) / n;
        state J(n * n), fp(n), fm(n);
        p.jac(y.data(), J.data());
        for (size_t j = 0; j < n; j++) {
            double h = 1e-6 * std::max(1.0, std::fabs(y[j]));
            state yp = y, ym = y;
            yp[j] += h;
            ym[j] -= h;
            p.rhs(yp.data(), fp.data());
            p.rhs(ym.data(), fm.data());
            for (size_t i = 0; i < n; i++) {
                double fd = (fp[i] - fm[i]) / (2 * h), an = J[i * n + j];
                if (std::fabs(fd - an) > 1e-5 * std::max(1.0, std::fabs(an))) {
                    std::fprintf(stderr, "odeint_gsl: %s: analytic J[%zu][%zu] = %g, central difference %g\n",
                                 p.name.c_str(), i, j, an, fd);
                    return false;
                }
            }
        }
    }
    return true;
}

struct RosSys {
    const StiffProblem *p;
    long *nfev;
    void operator()(const vec &x, vec &dxdt, double /*t*/) const {
        ++*nfev;
        p->rhs(&x[0], &dxdt[0]);
    }
};

struct RosJac {
    const StiffProblem *p;
    long *njac;
    state *buf;
    void operator()(const vec &x, mat &J, const double & /*t*/, vec &dfdt) const {
        ++*njac;
        size_t n = x.size();
        p->jac(&x[0], buf->data());
        for (size_t i = 0; i < n; i++) {
            dfdt[i] = 0;  // autonomous
            for (size_t j = 0; j < n; j++) J(i, j) = (*buf)[i * n + j];
        }
    }
};

// rosenbrockSolve integrates p with rosenbrock4_controller at rtol = atol =
// tol, the last step clipped to end on t1 (as odeintControlled).
static Outcome rosenbrockSolve(const StiffProblem &p, double tol) {
    Outcome o;
    size_t n = p.y0.size();
    vec x(n);
    for (size_t i = 0; i < n; i++) x[i] = p.y0[i];
    state buf(n * n);
    RosSys sys{&p, &o.nfev};
    RosJac jac{&p, &o.njac, &buf};
    odeint::rosenbrock4_controller<odeint::rosenbrock4<double>> stepper(tol, tol);
    double t = 0, dt = 1e-3 * p.t1;
    while (t < p.t1) {
        if (o.steps + o.rejected > kMaxSteps || !(dt > 0) || !std::isfinite(x[0])) {
            o.ok = false;
            break;
        }
        bool last = t + dt >= p.t1;
        double h = last ? p.t1 - t : dt;
        double tn = t;
        odeint::controlled_step_result r = stepper.try_step(std::make_pair(sys, jac), x, tn, h);
        if (r == odeint::success) {
            o.steps++;
            if (last) {
                t = p.t1;
                break;
            }
            t = tn;
            dt = h;
        } else {
            o.rejected++;
            dt = h;
        }
    }
    o.y = state(x.begin(), x.end());
    return o;
}

// ---------------------------------------------------------------- driver

static double maxDist(const state &a, const state &b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); i++) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

static double now() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// run times solve like grd: one untimed call, batch to ≥ 2 ms, median of reps.
static void run(const std::string &name, const state &ref, const std::string &method, double tolcol,
                const std::function<Outcome()> &solve, int reps, bool stiff = false) {
    double start = now();
    Outcome o = solve();
    double once = now() - start;
    if (!o.ok) {
        std::fprintf(stderr, "odeint_gsl: %s with %s at tol %g failed\n", name.c_str(), method.c_str(), tolcol);
        return;
    }
    long batch = 1;
    const double minBatch = 2e-3;
    if (once < minBatch) batch = std::min(1000L, (long)(minBatch / std::max(once, 1e-6)) + 1);
    std::vector<double> secs(reps);
    volatile double sink = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long b = 0; b < batch; b++) sink = sink + solve().y[0];
        secs[r] = (now() - t0) / batch;
    }
    std::sort(secs.begin(), secs.end());
    double med = reps % 2 ? secs[reps / 2] : 0.5 * (secs[reps / 2 - 1] + secs[reps / 2]);
    std::printf("%s,%s,%.17g,%.17g,%ld,%ld,%ld,%.17g", name.c_str(), method.c_str(), tolcol,
                maxDist(o.y, ref), o.nfev, o.steps, o.rejected, med);
    if (stiff) std::printf(",%ld,0,0", o.njac);
    std::printf("\n");
    std::fflush(stdout);
}

static std::vector<std::string> splitComma(const std::string &s) {
    std::vector<std::string> out;
    size_t a = 0;
    while (a <= s.size()) {
        size_t b = s.find(',', a);
        if (b == std::string::npos) b = s.size();
        if (b > a) out.push_back(s.substr(a, b - a));
        a = b + 1;
    }
    return out;
}

int main(int argc, char **argv) {
    int reps = 5;
    bool stiff = false;
    std::vector<std::string> want;
    std::vector<double> tols;
    std::vector<std::string> methods = {"boost-dopri5", "boost-dopri5-dense", "boost-rkf78", "boost-rk4",
                                        "gsl-rkf45", "gsl-rk8pd"};
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "odeint_gsl: flag %s needs a value\n", a.c_str());
            return 2;
        }
        std::string v = argv[++i];
        if (a == "--reps") {
            reps = std::atoi(v.c_str());
        } else if (a == "--stiff") {
            stiff = v == "1" || v == "true";
        } else if (a == "--problems") {
            want = splitComma(v);
        } else if (a == "--methods") {
            methods = splitComma(v);
        } else if (a == "--tols") {
            for (auto &s : splitComma(v)) tols.push_back(std::atof(s.c_str()));
        } else {
            std::fprintf(stderr, "odeint_gsl: unknown flag %s (valid: --reps, --problems, --methods, --tols, --stiff)\n", a.c_str());
            return 2;
        }
    }
    if (reps < 1) {
        std::fprintf(stderr, "odeint_gsl: --reps must be at least 1\n");
        return 2;
    }
    if (tols.empty())
        for (int k = 3; k <= (stiff ? 8 : 12); k++) tols.push_back(std::pow(10.0, -k));
    gsl_set_error_handler_off();

    if (stiff) {
        std::printf("problem,method,tol,error,nfev,steps,rejected,seconds,njac,njv,linsolves\n");
        for (const StiffProblem &p : stiffProblems()) {
            if (!want.empty() && std::find(want.begin(), want.end(), p.name) == want.end()) continue;
            if (!checkJacobian(p)) return 1;
            for (double tol : tols) run(p.name, p.ref, "boost-rosenbrock4", tol, [&] { return rosenbrockSolve(p, tol); }, reps, true);
        }
        return 0;
    }

    std::printf("problem,method,tol,error,nfev,steps,rejected,seconds\n");
    for (const Problem &p : problems()) {
        if (!want.empty() && std::find(want.begin(), want.end(), p.name) == want.end()) continue;
        for (const std::string &m : methods) {
            if (m == "boost-rk4") {
                // Fixed step: n = 250·2^k steps; the tol column holds h.
                for (int k = 0; k <= 10; k++) {
                    long n = 250L << k;
                    run(p.name, p.ref, m, (p.t1 - p.t0) / n, [&] { return odeintRK4(p, n); }, reps);
                }
                continue;
            }
            for (double tol : tols) {
                std::function<Outcome()> solve;
                if (m == "boost-dopri5") {
                    solve = [&] {
                        return odeintControlled(p, odeint::make_controlled(tol, tol, odeint::runge_kutta_dopri5<state>()));
                    };
                } else if (m == "boost-dopri5-dense") {
                    solve = [&] { return odeintDense(p, tol); };
                } else if (m == "boost-rkf78") {
                    solve = [&] {
                        return odeintControlled(p, odeint::make_controlled(tol, tol, odeint::runge_kutta_fehlberg78<state>()));
                    };
                } else if (m == "gsl-rkf45") {
                    solve = [&] { return gslSolve(p, gsl_odeiv2_step_rkf45, tol); };
                } else if (m == "gsl-rk8pd") {
                    solve = [&] { return gslSolve(p, gsl_odeiv2_step_rk8pd, tol); };
                } else {
                    std::fprintf(stderr, "odeint_gsl: unknown method %s\n", m.c_str());
                    return 2;
                }
                run(p.name, p.ref, m, tol, solve, reps);
            }
        }
    }
    return 0;
}
