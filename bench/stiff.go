package bench

import "math"

// The stiff problems of `grd bench integrators --stiff` (see
// IntegratorConfig.Stiff). None supplies a dense Jacobian: the stiff
// methods build it from differences of F (Robertson, Van der Pol, HIRES)
// or from the exact J·v (the quadratic gradient flow, as the gd flow
// does); the GRD system uses directional differences, as the ngd and grd
// flows do. The peers (bench/peers) get the same problems without
// Jacobians either, so every solver pays for its own.
const (
	vdpStiffMu = 1000
	quadDim    = 100
	quadCond   = 1e6
	// grdQuadC is the toy Christoffel coefficient of the GRD system on the
	// quadratic (as in grdtoy): u̇ = −H u − c (u·u) H w.
	grdQuadC = 0.01
)

// Reference end states of the stiff problems. Robertson, Van der Pol and
// HIRES: rodas4 at rtol = atol = 1e-13 cross-checked with dop853 at 1e-13
// (an explicit method whose steps are bounded by stability, so far below
// the accuracy asked; TestStiffReferences); HIRES also agrees with the
// published reference of the Bari test set (Mazzia & Magherini). The
// quadratic flow is exact (closed form, stiffQuadRef). The GRD system:
// rodas4 at 1e-13 cross-checked with dop853 at 1e-13. Regenerate with
//
//	go test ./bench -run TestStiffReferences -v -args -printrefs
var (
	refRobertson = []float64{
		0.71582706872295887, 9.1855347645237017e-06, 0.28416374574227288,
	}
	refVdP1000 = []float64{
		-1.510606936743196, 0.0011783800007312067,
	}
	refHIRES = []float64{
		0.00073713125733240704, 0.00014424857263158696, 5.8887297409646044e-05, 0.0011756513432828527,
		0.002386356198826533, 0.0062389682527275664, 0.0028499983951826738, 0.0028500016048173381,
	}
	refGRDQuad = []float64{
		0.34170328291994262, 0.3771792373106771, 0.41431189341382046, 0.45271019419152686,
		0.49189279591542728, 0.53130273582525833, 0.57033279396661241, 0.60836095432106341,
		0.64479317068614572, 0.67910826951276793, 0.71089799145271437, 0.73989476273885113,
		0.76598147705520858, 0.78918136726480292, 0.80963096708475979, 0.82754339499640073,
		0.84317091731596427, 0.8567742354961505, 0.86860213866864022, 0.87888113291881464,
		0.88781221207809957, 0.89557154217068413, 0.90231272269450535, 0.90816939963629439,
		0.91325775444877066, 0.91767874000923189, 0.92152005257039205, 0.9248578593629877,
		0.92775830730966824, 0.93027883803916822, 0.93246933256876574, 0.93437310679241592,
		0.9360277766329036, 0.93746600955433612, 0.93871617712768396, 0.93980292153478817,
		0.94074764727821303, 0.9415689479287378, 0.94228297647189274, 0.94290376670671572,
		0.94344351217198064, 0.94391280822407186, 0.94432086214925792, 0.94467567554615173,
		0.94498420265175997, 0.94525248779994764, 0.94548578477225254, 0.94568866043955657,
		0.94586508477059728, 0.94601850900844553, 0.94615193357807081, 0.94626796707869787,
		0.94636887753615828, 0.94645663693510929, 0.9465329599149066, 0.94659933739665869,
		0.94665706580735365, 0.94670727248017117, 0.9467509377306611, 0.94678891404783594,
		0.94682194277494369, 0.94685066861127598, 0.94687565221962045, 0.94689738118669853,
		0.94691627955317625, 0.94693271609915675, 0.9469470115490477, 0.9469594448355666,
		0.94697025854780204, 0.94697966366730402, 0.94698784368800348, 0.94699495819778301,
		0.94700114599391294, 0.94700652779177064, 0.94701120858114629, 0.94701527967495391,
		0.94701882049102915, 0.94702190010186571, 0.94702457858248179, 0.94702690818238577,
		0.94702893434508417, 0.94703069659469696, 0.94703222930684838, 0.94703356237985725,
		0.94703472181734716, 0.9470357302356931, 0.94703660730579864, 0.94703737013604561,
		0.94703803360638084, 0.94703861065867201, 0.94703911254902828, 0.94703954906739984,
		0.94703992872877352, 0.94704025893876687, 0.94704054613841071, 0.94704079592998247,
		0.94704101318591405, 0.94704120214401311, 0.94704136649010273, 0.94704150942992216,
		-0.38774935121834242, -0.33706404275494328, -0.28714071327855434, -0.23908109850774298,
		-0.19401292199360187, -0.15299857705115297, -0.11693001938065103, -0.086424697943952106,
		-0.061742839288270276, -0.042747935205782316, -0.0289271364259223, -0.019475374677585078,
		-0.013428820197836738, -0.009816177594667283, -0.0077887900321409907, -0.0066982480037149142,
		-0.0061111456671990088, -0.0057743949917956868, -0.0055584362771369036, -0.0054039456254222793,
		-0.0052851812153572614, -0.0051903365412870198, -0.0051130492115967182, -0.0050492729781745228,
		-0.0049961650688798266, -0.004951625839320184, -0.0049140584963311756, -0.0048822228479044388,
		-0.0048551394416198965, -0.0048320240325201097, -0.0048122413955479669, -0.0047952719577117001,
		-0.0047806871834233759, -0.0047681310863092003, -0.0047573061209021574, -0.0047479622641849991,
		-0.0047398884589066421, -0.0047329058316962916, -0.0047268622629538402, -0.004721627999098193,
		-0.0047170920777127893, -0.0047131593932789179, -0.0047097482725874992, -0.0047067884592755724,
		-0.004704219429455426, -0.0047019889773158418, -0.0047000520223491223, -0.0046983695996818788,
		-0.0046969080025313654, -0.0046956380517077963, -0.0046945344717193938, -0.0046935753566931292,
		-0.0046927417122571684, -0.0046920170618859622, -0.0046913871081085056, -0.0046908394405369442,
		-0.0046903632839444351, -0.0046899492806773647, -0.0046895893025422223, -0.004689276288059996,
		-0.0046890041015546094, -0.0046887674110842482, -0.0046885615826376195, -0.0046883825883835325,
		-0.0046882269270809782, -0.0046880915550090328, -0.004687973826013987, -0.0046878714394498295,
		-0.0046877823949723887, -0.0046877049532651682, -0.0046876376019255438, -0.0046875790258178217,
		-0.0046875280813130846, -0.0046874837738979224, -0.0046874452387152847, -0.0046874117236467465,
		-0.0046873825746058355, -0.0046873572227529225, -0.0046873351733797411, -0.0046873159962434298,
		-0.0046872993171630118, -0.0046872848107119757, -0.0046872721938628461, -0.0046872612204641832,
		-0.0046872516764320318, -0.0046872433755718087, -0.0046872361559475014, -0.0046872298767168712,
		-0.0046872244153849611, -0.0046872196654142587, -0.004687215534145044, -0.0046872119409874877,
		-0.0046872088158504384, -0.0046872060977714526, -0.0046872037337290515, -0.0046872016776094471,
		-0.0046871998893042157, -0.0046871983339296279, -0.0046871969811457491, -0.0046871958045645954,
	}
)

// robertsonRHS is Robertson's chemical kinetics (Hairer & Wanner, Solving
// ODEs II, §IV.1), y0 = (1, 0, 0), t ∈ [0, 40].
func robertsonRHS(_ float64, y, dy []float64) {
	dy[0] = -0.04*y[0] + 1e4*y[1]*y[2]
	dy[2] = 3e7 * y[1] * y[1]
	dy[1] = -dy[0] - dy[2]
}

// vdpStiffRHS is Van der Pol's equation with μ = 1000 (unscaled:
// y1' = y2, y2' = μ(1 − y1²)y2 − y1), y0 = (2, 0), t ∈ [0, 3000] (about
// two relaxation periods).
func vdpStiffRHS(_ float64, y, dy []float64) {
	dy[0] = y[1]
	dy[1] = vdpStiffMu*(1-y[0]*y[0])*y[1] - y[0]
}

// hiresRHS is HIRES, the "High Irradiance RESponse" of plant physiology
// (Hairer & Wanner II, §IV.10; Bari test set), t ∈ [0, 321.8122].
func hiresRHS(_ float64, y, dy []float64) {
	dy[0] = -1.71*y[0] + 0.43*y[1] + 8.32*y[2] + 0.0007
	dy[1] = 1.71*y[0] - 8.75*y[1]
	dy[2] = -10.03*y[2] + 0.43*y[3] + 0.035*y[4]
	dy[3] = 8.32*y[1] + 1.71*y[2] - 1.12*y[3]
	dy[4] = -1.745*y[4] + 0.43*y[5] + 0.43*y[6]
	dy[5] = -280*y[5]*y[7] + 0.69*y[3] + 1.71*y[4] - 0.43*y[5] + 0.69*y[6]
	dy[6] = 280*y[5]*y[7] - 1.81*y[6]
	dy[7] = -dy[6]
}

// quadLambda returns the Hessian eigenvalues of the condition-10⁶
// quadratic: λ_i = 10^(6 i/(d−1)), i = 0 … d−1, from 1 to 10⁶.
func quadLambda() []float64 {
	lam := make([]float64, quadDim)
	for i := range lam {
		lam[i] = math.Pow(quadCond, float64(i)/float64(quadDim-1))
	}
	return lam
}

// quadFlow returns the gradient flow ẏ = −H y of ½ yᵀHy, H = diag(λ), and
// its exact J·v = −H v.
func quadFlow() (f func(_ float64, y, dy []float64), jv func(_ float64, _, v, jv []float64)) {
	lam := quadLambda()
	f = func(_ float64, y, dy []float64) {
		for i, l := range lam {
			dy[i] = -l * y[i]
		}
	}
	jv = func(_ float64, _, v, out []float64) {
		for i, l := range lam {
			out[i] = -l * v[i]
		}
	}
	return f, jv
}

// stiffQuadRef is the closed-form end state of the quadratic flow from
// y0 = 1 at t = 1: y_i = e^(−λ_i).
func stiffQuadRef() []float64 {
	lam := quadLambda()
	y := make([]float64, quadDim)
	for i, l := range lam {
		y[i] = math.Exp(-l)
	}
	return y
}

// grdQuadRHS is the GRD-shaped system on the quadratic, state (w, u) ∈
// R^100 × R^100: ẇ = u, u̇ = −H u − c (u·u) H w, with grdtoy's toy
// Christoffel term. From w0 = 1, u0 = −1 the fast modes of u relax in
// time 1/λ_i to −c|u|² w_i, and w then decays at the slow rate c|u|² ≈ 1.
func grdQuadRHS() func(_ float64, y, dy []float64) {
	lam := quadLambda()
	return func(_ float64, y, dy []float64) {
		w, u := y[:quadDim], y[quadDim:2*quadDim]
		dw, du := dy[:quadDim], dy[quadDim:2*quadDim]
		var uu float64
		for _, v := range u {
			uu += v * v
		}
		for i, l := range lam {
			dw[i] = u[i]
			du[i] = -l*u[i] - grdQuadC*uu*l*w[i]
		}
	}
}

func ones(n int, v float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = v
	}
	return y
}

// stiffProblems returns the stiff benchmark problems, in a fixed order.
func stiffProblems() []integProblem {
	qf, qjv := quadFlow()
	grd0 := append(ones(quadDim, 1), ones(quadDim, -1)...)
	return []integProblem{
		{name: "robertson", title: "Robertson, t in [0, 40]", f: robertsonRHS, y0: []float64{1, 0, 0}, t1: 40, ref: refRobertson, stiff: true},
		{name: "vdp1000", title: "Van der Pol (μ=1000), t in [0, 3000]", f: vdpStiffRHS, y0: []float64{2, 0}, t1: 3000, ref: refVdP1000, stiff: true},
		{name: "hires", title: "HIRES, t in [0, 321.8122]", f: hiresRHS, y0: []float64{1, 0, 0, 0, 0, 0, 0, 0.0057}, t1: 321.8122, ref: refHIRES, stiff: true},
		{name: "quad1e6", title: "gradient flow, quadratic (d=100, cond 1e6), t in [0, 1]", f: qf, jv: qjv, y0: ones(quadDim, 1), t1: 1, ref: stiffQuadRef(), stiff: true},
		{name: "grdquad1e6", title: "GRD system on that quadratic (200 states), t in [0, 1]", f: grdQuadRHS(), y0: grd0, t1: 1, ref: refGRDQuad, stiff: true},
	}
}
