"""The classroom lessons, in teaching order: text, a "predict, then run" question, links, a slider.

Each lesson's figure is `ganlab.viz.lesson_figures.FIGURES[slug]`; its experiment is in
`ganlab.lessons.experiments`. Conventions wherever numbers are shown: JSD(P||Q) = 1/2 KL(P||M) +
1/2 KL(Q||M), M = (P+Q)/2, in nats, so 0 <= JSD <= log 2, and max_D V(G, D) = 2 JSD - log 4.
"""

from __future__ import annotations

from ganlab.lessons import experiments
from ganlab.lessons.model import Lesson, Link, Question, Slider


def link(label: str, page: str, params: dict[str, str]) -> Link:
    """A Link from a dict of query parameters (dotted RunConfig paths are not Python keywords)."""
    return Link(label, page, tuple(params.items()))


def toy_ab(label: str, trick: dict[str, str], without: dict[str, str], data: str = "ring8") -> Link:
    """A Toy Lab A/B: the main run has the trick, the compare run (`vs`) the same options without it."""
    return link(label, "toy-lab", {"data.name": data, **trick,
                                   "vs": ";".join(f"{k}={v}" for k, v in without.items()), "play": "1"})


PLANE = "discriminator,real,fake,arrows,modes"

ADVERSARIAL_IDEA = Lesson(
    slug="adversarial-idea",
    title="Generative models and the adversarial idea",
    body=r"""
A generative model learns to produce new samples that look as if they came from an unknown distribution
$p_{data}$, of which we only hold examples $x_1, \dots, x_n$. The classical route writes down a density
$p_\theta(x)$ and maximises the likelihood $\frac{1}{n}\sum_i \log p_\theta(x_i)$, which for many samples
minimises $\mathrm{KL}(p_{data}\,\|\,p_\theta)$. That needs a density one can evaluate: flows compute it
exactly, variational autoencoders bound it, energy-based models need a normalising constant.

A generative adversarial network (Goodfellow et al. 2014) does without. A generator $G$ maps noise
$z \sim p_z$ (here a standard Gaussian) to a sample $G(z)$; the distribution $p_g$ of these samples is
*implicit*: we can draw from it but never write $p_g(x)$ down. A second network, the discriminator
$D(x) \in (0, 1)$, is trained as a classifier to say how likely $x$ is to be real. The generator is the
counterfeiter, the discriminator the police: $D$ learns to catch $G$'s fakes, $G$ follows $D$'s gradient
to make fakes that $D$ calls real. Neither needs $p_g(x)$: only samples, and gradients through $D$.

Where should the game end? For a fixed generator the best discriminator is
$$
D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)},
$$
which is $\tfrac12$ wherever the two densities agree. Move the generator's mean in the figure: the police
officer is sure only where one density dominates, and is reduced to a coin toss when $p_g = p_{data}$.
""",
    question=Question(
        prompt="A GAN trains on a single 2-D Gaussian until the generator's samples match it. "
               "What does the discriminator then output, on average?",
        options=("Close to 1 on real points and close to 0 on generated ones: it still catches every fake",
                 "Close to 1/2 on both: it can no longer tell them apart",
                 "In between: it still leans clearly towards the real points"),
        run_label="Train a GAN for 1,200 steps on one Gaussian",
        experiment=experiments.adversarial_idea,
    ),
    links=(
        link("a GAN learns one Gaussian", "toy-lab",
             {"data.name": "gaussian", "layers": PLANE, "play": "1"}),
        link("the same game on eight modes", "toy-lab",
             {"data.name": "ring8", "layers": PLANE, "play": "1"}),
    ),
    slider=Slider("Mean of the generator's distribution p_g", -3.0, 3.0, 2.0, 0.1),
    takeaway="A finished game leaves the police guessing: when p_g = p_data the best discriminator "
             "outputs 1/2 everywhere.",
)

MINIMAX = Lesson(
    slug="minimax-and-optimal-d",
    title="The minimax game and the optimal discriminator",
    body=r"""
The two players share one value function,
$$
V(G, D) = \mathbb{E}_{x \sim p_{data}}\big[\log D(x)\big] +
\mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big],
$$
and play $\min_G \max_D V(G, D)$. For $D$ this is the log-likelihood of a binary classifier (real = 1,
fake = 0); for $G$ it is the chance of being caught.

Fix $G$ and maximise over $D$ point by point: $a \log y + b \log(1 - y)$ with $a = p_{data}(x)$,
$b = p_g(x)$ peaks at $y = a / (a + b)$, so $D^*(x) = p_{data}(x) / (p_{data}(x) + p_g(x))$.
Substituting, and writing $M = (p_{data} + p_g)/2$,
$$
V(G, D^*) = \mathrm{KL}(p_{data}\,\|\,M) + \mathrm{KL}(p_g\,\|\,M) - \log 4
= 2\,\mathrm{JSD}(p_{data}\,\|\,p_g) - \log 4
$$
(Goodfellow et al. 2014, Theorem 1). Conventions used throughout ganlab:
$\mathrm{JSD}(P\|Q) = \tfrac12\mathrm{KL}(P\|M) + \tfrac12\mathrm{KL}(Q\|M)$ in nats, so
$0 \le \mathrm{JSD} \le \log 2$ and $-\log 4 \le V(G, D^*) \le 0$, with $-\log 4$ reached exactly when
$p_g = p_{data}$.

So, *if* $D$ is trained to optimality before every generator step, the generator minimises the
Jensen–Shannon divergence. In practice $D$ is a network trained a few steps at a time, and $G$ descends
an estimate of it. The figure shows the JSD and $\max_D V$ for $p_{data} = N(0, 1)$ against
$p_g = N(\mu, 1)$; in the Toy Lab the *d_star* layer draws $D^*$ (from a density estimate of $G$'s
samples) next to the trained discriminator.
""",
    question=Question(
        prompt="A discriminator is trained to convergence on p_data = N(0, 1) against a fixed p_g = N(2, 1). "
               "Which value does V(G, D) reach?",
        options=("About −1.39 (= −log 4): the two overlap too much to tell apart",
                 "About −0.7",
                 "About 0: D separates them perfectly"),
        run_label="Train D for 600 steps on N(0, 1) against N(2, 1)",
        experiment=experiments.minimax_and_optimal_d,
    ),
    links=(
        link("the trained D next to D*", "toy-lab",
             {"data.name": "ring8", "layers": "discriminator,d_star,real,fake,modes", "play": "1", "speed": "5"}),
        link("D* between two separated Gaussians", "toy-lab",
             {"data.name": "disjoint-gaussians", "layers": "d_star,real,fake", "play": "1", "speed": "5"}),
    ),
    slider=Slider("Mean μ of p_g = N(μ, 1)", -4.0, 4.0, 2.0, 0.1),
    takeaway="With D at its optimum the game's value is 2 JSD − log 4: the generator is minimising a "
             "divergence that a classifier estimates.",
)

MAXIMUM_LIKELIHOOD = Lesson(
    slug="maximum-likelihood",
    title="Maximum likelihood beside the game",
    body=r"""
A GAN never writes $p_g(x)$ down. Likelihood models do, and maximise the average log-likelihood
$\frac{1}{n}\sum_i \log p_\theta(x_i)$ of the data, which for many samples is the same as minimising the
*forward* KL, in nats,
$$
\mathrm{KL}(p_{data}\,\|\,p_\theta) = \mathbb{E}_{x \sim p_{data}}\big[\log p_{data}(x) - \log p_\theta(x)\big].
$$
It is infinite as soon as $p_\theta = 0$ where there is data, so a model fitted by maximum likelihood is
punished for *missing* data: it covers every mode and, when it cannot fit them exactly, puts mass between
them (blurry samples). The *reverse* KL
$$
\mathrm{KL}(p_\theta\,\|\,p_{data}) = \mathbb{E}_{x \sim p_\theta}\big[\log p_\theta(x) - \log p_{data}(x)\big]
$$
punishes mass where there is *no* data, and charges only $\log(8/k)$ for covering $k$ of 8 equal modes
exactly: it is mode seeking. A GAN has no likelihood, but it behaves closer to the reverse direction. Against
the optimal discriminator the minimax game minimises the JSD, which stays below $\log 2$ however many modes
are missed, and the next lesson's non-saturating loss follows
$\mathrm{KL}(p_g\,\|\,p_{data}) - 2\,\mathrm{JSD}(p_{data}\,\|\,p_g)$ (Arjovsky & Bottou 2017): sharp
samples, dropped modes.

ganlab trains two likelihood models beside the GAN. A variational autoencoder (Kingma & Welling 2014) draws
$z \sim p(z) = N(0, I)$ and decodes it through $p(x \mid z)$. Its likelihood $p(x) = \int p(x \mid z)\,p(z)\,dz$
is intractable, so an encoder $q(z \mid x)$ gives the evidence lower bound that it maximises instead,
$$
\mathrm{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\big[\log p(x \mid z)\big] - \mathrm{KL}\big(q(z \mid x)\,\|\,p(z)\big)
\le \log p(x),
$$
with equality when $q(z \mid x)$ is the true posterior. A normalising flow (RealNVP, Dinh et al. 2017) is an
invertible map $f$ from the data to $z = f(x) \sim N(0, I)$, and the change of variables gives its
likelihood exactly,
$$
\log p(x) = \log N\big(f(x); 0, I\big) + \log\left|\det \frac{\partial f}{\partial x}\right|.
$$
A continuous invertible map of one Gaussian cannot tear it into separated modes: a flow leaves thin bridges
of density between them.

On the toy data $p_{data}$ is known exactly, so ganlab scores the three alike: modes covered and high-quality
samples (the PacGAN protocol of the mode-collapse lesson), and both KLs, from the flow's exact density, the
VAE's importance-weighted estimate (Burda et al. 2016; a lower bound) and, for the GAN, a kernel density
estimate of its samples. The figure fits one Gaussian to two modes both ways: the maximum-likelihood
(forward) fit matches the mixture's mean and variance and straddles both modes; once the modes are apart,
the reverse fit sits on one of them.
""",
    question=Question(
        prompt="A GAN playing the minimax game of the previous lesson, a VAE and a RealNVP flow each train for "
               "3,000 steps on ring8. Which model drops modes, and which blurs between them?",
        options=("The GAN drops modes, with sharper samples; the VAE and the flow cover every mode but blur "
                 "mass between them",
                 "The other way round: the VAE and the flow drop modes; the GAN covers every mode but blurs "
                 "between them",
                 "Neither: none of them trades modes for sharp samples"),
        run_label="Train a GAN, a VAE and a flow for 3,000 steps each on ring8",
        experiment=experiments.maximum_likelihood,
    ),
    links=(
        link("the minimax GAN drops modes, the VAE and the flow cover them", "gan-vae-flow",
             {"preset": "gan-dropped-modes"}),
        link("a VAE with a strong KL weight blurs between the modes", "gan-vae-flow", {"preset": "vae-blur"}),
        link("a shallow flow leaves bridges between grid25's modes", "gan-vae-flow", {"preset": "flow-bridges"}),
    ),
    slider=Slider("Half the distance d between the two modes of p_data", 0.0, 3.0, 1.5, 0.1),
    takeaway="Maximum likelihood (the forward KL) makes a model cover every mode and pay with mass between "
             "them; a GAN, closer to the reverse KL, keeps its samples sharp and can drop modes.",
)

SATURATION = Lesson(
    slug="saturation",
    title="Saturation: why the minimax generator loss stalls",
    body=r"""
In the minimax game the generator minimises $\mathbb{E}_z\big[\log(1 - D(G(z)))\big]$. Write
$D = \sigma(\ell)$ with $\ell$ the discriminator's logit; then
$$
\frac{\partial}{\partial \ell}\log\big(1 - \sigma(\ell)\big) = -\sigma(\ell) = -D.
$$
Early in training the generator is poor, the discriminator rejects its samples with confidence,
$D(G(z)) \approx 0$, and the gradient that reaches $G$ is multiplied by $D \approx 0$: the loss has
*saturated* exactly when the generator has the most to learn.

Goodfellow et al. (2014) suggested the fix used by almost every GAN since: let $G$ minimise
$-\mathbb{E}_z\big[\log D(G(z))\big]$ instead. It pushes $D(G(z))$ up just the same, but
$$
\frac{\partial}{\partial \ell}\big(-\log \sigma(\ell)\big) = -(1 - D),
$$
which is close to $-1$ when $D \approx 0$. Sample by sample the two gradients differ by the factor
$D / (1 - D)$. In ganlab they are two named losses, `minimax` and `nonsaturating`, with the same
discriminator.

The fix has a price: the non-saturating game is no longer one value function played both ways. Against
the optimal discriminator its expected gradient is that of
$\mathrm{KL}(p_g\,\|\,p_{data}) - 2\,\mathrm{JSD}(p_{data}\,\|\,p_g)$ (Arjovsky & Bottou 2017), a
reverse KL that punishes fakes placed off the data far more than modes left empty — one reason for
the mode collapse of the next lesson.
""",
    question=Question(
        prompt="A discriminator has trained against an untrained generator until D(G(z)) ≈ 0. How large is the "
               "generator's gradient under the minimax loss log(1 − D(G(z))), compared with the non-saturating "
               "loss −log D(G(z))?",
        options=("About the same size",
                 "Roughly 10 times smaller",
                 "100 times smaller or less"),
        run_label="Train D for 1,000 steps, then compare G's two gradients",
        experiment=experiments.saturation,
    ),
    links=(
        toy_ab("minimax against non-saturating (A/B)", {"loss.name": "minimax"},
               {"loss.name": "nonsaturating"}),
        link("the Dirac-GAN with both generator losses", "dynamics",
             {"dirac_methods": "standard,nonsaturating", "dirac_h": "0.1", "dirac_steps": "300", "theta0": "1"}),
    ),
    slider=Slider("D(G(z))", 0.01, 0.99, 0.05, 0.01),
    takeaway="The minimax loss's gradient carries a factor D(G(z)), which vanishes when D wins; "
             "−log D(G(z)) has the same goal and a factor 1 − D(G(z)).",
)

MODE_COLLAPSE = Lesson(
    slug="mode-collapse",
    title="Mode collapse",
    body=r"""
Nothing in a generator step asks $G$ to cover all of $p_{data}$: it only has to produce samples that the
*current* discriminator scores as real. If $G$ puts its mass where $D$ is most convinced, $D$ adapts,
and $G$ moves on to the next convincing spot. In the extreme $G$ sends every $z$ to nearly the same
output; more often whole modes are never visited, or are visited in turn.

On the toy mixtures modes can be counted. ring8 is 8 Gaussians on the unit circle (std 0.01), grid25 is
25 Gaussians on $\{-4, -2, 0, 2, 4\}^2$ (std 0.05). Of 2,500 generated samples, a sample is *high
quality* when it lies within 3 standard deviations of its nearest centre, and a mode is *covered* when it
is the nearest centre of at least one high-quality sample (the PacGAN protocol, Lin et al. 2018). Their
Table 1 reports 6.3 / 8 and 17.3 / 25 modes for a plain GAN, and 7.8 / 8 and 24.8 / 25 for PacGAN4, whose
discriminator judges four samples at once and so sees when they repeat each other.

Divergences explain why dropping modes is cheap. A generator that spreads evenly over $k$ of the 8 modes
has $\mathrm{KL}(p_g\,\|\,p_{data}) = \log(8/k)$, finite, while $\mathrm{KL}(p_{data}\,\|\,p_g) = \infty$;
its JSD stays below $\log 2$. A loss that behaves like the reverse KL barely notices the empty modes.
Move the slider to drop modes.
""",
    question=Question(
        prompt="A plain non-saturating GAN (the Toy Lab's default settings) trains for 1,500 steps on grid25. "
               "How many of the 25 modes do its samples cover?",
        options=("All 25", "20 to 24", "Fewer than 20"),
        run_label="Train on grid25 (1,500 steps) and on ring8 (1,000 steps)",
        experiment=experiments.mode_collapse,
    ),
    links=(
        link("ring8, non-saturating loss", "toy-lab",
             {"data.name": "ring8", "loss.name": "nonsaturating", "layers": PLANE, "play": "1"}),
        link("grid25, non-saturating loss", "toy-lab",
             {"data.name": "grid25", "loss.name": "nonsaturating", "layers": PLANE, "play": "1"}),
        toy_ab("PacGAN4 against a plain GAN on grid25 (A/B)", {"pack": "4"}, {"pack": "1"},
               data="grid25"),
    ),
    slider=Slider("Modes the generator covers (of 8)", 1.0, 8.0, 3.0, 1.0),
    takeaway="Fooling today's discriminator does not require covering every mode: count the modes, "
             "not just the losses.",
)

DISJOINT = Lesson(
    slug="disjoint-supports",
    title="Disjoint supports: the JSD is flat, the Wasserstein distance is not",
    body=r"""
Real images fill a thin, low-dimensional set inside pixel space, and so do a generator's outputs, which
are the image of a low-dimensional $z$. Two such sets almost never share more than a set of measure zero
(Arjovsky & Bottou 2017). When
the supports are disjoint a perfect discriminator exists: $D^* = 1$ on the data, $0$ on the fakes, flat in
between, so its gradient where the fakes are is zero, and $\mathrm{JSD} = \log 2$ however far apart the
two are.

The parallel lines of Arjovsky et al. (2017, Example 1) make this exact. $P_0$ is uniform on the segment
$\{0\} \times [0, 1]$ and $P_\theta$ on $\{\theta\} \times [0, 1]$:
$$
\mathrm{JSD}(P_0\,\|\,P_\theta) = \begin{cases}\log 2 & \theta \ne 0\\ 0 & \theta = 0\end{cases},\qquad
\mathrm{KL}(P_\theta\,\|\,P_0) = \infty\ (\theta \ne 0),\qquad W_1(P_0, P_\theta) = |\theta|.
$$
Only the Wasserstein (earth mover's) distance
$W_1(P, Q) = \inf_{\gamma \in \Pi(P, Q)} \mathbb{E}_{(x, y) \sim \gamma}\|x - y\|$ changes continuously
with $\theta$ and tells the generator which way to move.

By the Kantorovich–Rubinstein duality, $W_1(P, Q) = \sup_{\|f\|_L \le 1} \mathbb{E}_P f - \mathbb{E}_Q f$: a
*critic* $f$ with slope at most 1 can estimate it, and the best one has slope 1 between the two supports.
On the Divergences page, the race starts several generators on a support disjoint from the data and shows
which losses still move them.
""",
    question=Question(
        prompt="Real points N(0, 0.1²) and fake points N(3, 0.1²) do not overlap. A discriminator (logistic loss) "
               "and a WGAN-GP critic are each trained on them. At the fake points, how does the critic's slope "
               "compare with the slope of the discriminator's probability D(x)?",
        options=("The critic is much flatter", "About the same", "The critic is much steeper"),
        run_label="Train a discriminator and a critic at distances 1.5 and 3",
        experiment=experiments.disjoint_supports,
    ),
    links=(
        link("the parallel lines at θ = 0.5", "divergences", {"theta": "0.5"}),
        link("the race from distance 3", "divergences",
             {"distance": "3", "race": "play"}),
        toy_ab("parallel lines, minimax against WGAN-GP (A/B)", {"loss.name": "minimax"},
               {"loss.name": "wgan-gp"}, data="parallel-lines"),
    ),
    slider=Slider("θ (where the generator's line is)", -1.0, 1.0, 0.5, 0.05),
    takeaway="On disjoint supports the JSD is stuck at log 2 and D* is flat where the fakes are; W1 grows "
             "with the distance and keeps a gradient.",
)

WGAN_CLIP = {"loss.name": "wgan", "loss.clip": "0.01", "d_steps": "5", "g_opt.name": "rmsprop",
             "d_opt.name": "rmsprop", "g_opt.lr": "0.00005", "d_opt.lr": "0.00005"}
WGAN_GP = {"loss.name": "wgan-gp", "g_opt.name": "adam", "d_opt.name": "adam", "g_opt.lr": "0.0001",
           "d_opt.lr": "0.0001", "g_opt.beta2": "0.9", "d_opt.beta2": "0.9"}

WGAN = Lesson(
    slug="wgan",
    title="WGAN: weight clipping, its pathologies, and the gradient penalty",
    body=r"""
The Wasserstein GAN (Arjovsky et al. 2017) turns the duality into a loss. A critic $f$ (a network with
no sigmoid) maximises $\mathbb{E}_{x \sim p_{data}} f(x) - \mathbb{E}_z f(G(z))$ and the generator
minimises $-\mathbb{E}_z f(G(z))$. Over all $K$-Lipschitz critics the best value is $K \cdot W_1$. To keep
$f$ Lipschitz, every weight of the critic is clipped to $[-c, c]$ after each update (the paper: $c = 0.01$,
RMSprop with learning rate $5 \cdot 10^{-5}$, five critic steps per generator step).

Clipping bounds the Lipschitz constant only crudely. Gulrajani et al. (2017) showed that the clipped
critic's weights pile up at $\pm c$, that it learns overly simple functions, and that gradients explode or
vanish through its layers depending on $c$. For a ReLU layer of width $w$ whose weights sit at $\pm c$, a
back-propagated gradient is multiplied by about $c\sqrt{w/2}$ per layer (figure): only one $c$ keeps it
steady, and that value depends on the width.

WGAN-GP replaces clipping with a penalty that asks for what the optimal critic has, gradient norm 1 on
the segments between real and generated points:
$$
L_D = \mathbb{E}_z f(G(z)) - \mathbb{E}_x f(x) +
\lambda\,\mathbb{E}_{\hat x}\big(\|\nabla_{\hat x} f(\hat x)\|_2 - 1\big)^2,
\qquad \hat x = \epsilon x + (1 - \epsilon) G(z),\ \epsilon \sim U[0, 1],
$$
with $\lambda = 10$ and Adam ($\beta_2 = 0.9$). ganlab flattens each sample before taking the norm, so the
same penalty serves 2-D points and images.
""",
    question=Question(
        prompt="A critic trains for 500 steps with every weight clipped to [−0.01, 0.01]. Where do its weights "
               "end up?",
        options=("Spread evenly over [−c, c]",
                 "Mostly piled up exactly at −c or +c",
                 "Mostly near 0"),
        run_label="Train a clipped critic and a gradient-penalty critic for 500 steps",
        experiment=experiments.wgan,
    ),
    links=(
        link("weight clipping against the gradient penalty (A/B)", "toy-lab",
             {"data.name": "grid25", **WGAN_CLIP, "vs": ";".join(f"{k}={v}" for k, v in WGAN_GP.items()),
              "play": "1"}),
        link("the race from distance 3", "divergences",
             {"distance": "3", "race": "play"}),
    ),
    slider=Slider("Clipping bound c (log10)", -3.0, -0.5, -2.0, 0.25),
    takeaway="Clipping weights enforces the Lipschitz bound bluntly: weights stick at ±c and gradients scale "
             "like (c√(w/2))^depth; penalising the gradient norm keeps it near 1.",
)

GAME = Lesson(
    slug="game-dynamics",
    title="The game is not a minimisation",
    body=r"""
Training a GAN alternates gradient steps of two players with opposed objectives, and the fixed point of
such *gradient play* need not attract. The smallest example is the bilinear game $J(x, y) = xy$: $x$
minimises, $y$ maximises, the equilibrium is $(0, 0)$. Simultaneous gradient descent–ascent with step $h$
is
$$
\begin{pmatrix} x \\ y \end{pmatrix} \leftarrow \begin{pmatrix} 1 & -h \\ h & 1 \end{pmatrix}
\begin{pmatrix} x \\ y \end{pmatrix},
$$
a rotation scaled by $\sqrt{1 + h^2}$: the iterates spiral outward for every $h > 0$. Alternating updates
stay on a bounded orbit; extragradient (Korpelevich 1976) and optimistic updates (Daskalakis et al. 2018)
converge.

The Dirac-GAN of Mescheder et al. (2018) shows the same inside a GAN. The data is a point mass at 0, the
generator a point mass at $\theta$, the discriminator $D(x) = \psi x$. With the standard loss the Jacobian
of the gradient field at the equilibrium has eigenvalues $\pm f'(0)\,i = \pm i/2$: purely imaginary, so
the continuous flow circles forever and simultaneous steps spiral out. The R1 penalty
$\frac{\gamma}{2}\mathbb{E}_{p_{data}}\|\nabla_x D\|^2$ moves them to
$-\frac{\gamma}{2} \pm \sqrt{\frac{\gamma^2}{4} - f'(0)^2}$, with negative real part: the play converges.

So a flat loss curve is not convergence, and a rising one not failure: stability belongs to the dynamics
(step size, update order, regulariser). The Dynamics page lets you change each.
""",
    question=Question(
        prompt="Simultaneous gradient descent–ascent on J(x, y) = xy starts at (1, 1) with step size 0.1. After "
               "100 steps, how far is it from the equilibrium (0, 0), compared with where it started?",
        options=("Closer: it converges", "About as far: it circles", "Further: it spirals out"),
        run_label="Run 100 steps of three update rules, and the Dirac-GAN",
        experiment=experiments.game_dynamics,
    ),
    links=(
        link("J = xy under four update rules", "dynamics",
             {"methods": "simultaneous,alternating,optimistic,extragradient", "h": "0.1", "steps": "100",
              "x0": "1", "y0": "1"}),
        link("the Dirac-GAN with and without R1", "dynamics",
             {"dirac_methods": "standard,r1", "gamma": "1", "scheme": "simultaneous", "dirac_h": "0.1",
              "dirac_steps": "500", "theta0": "1"}),
    ),
    slider=Slider("R1 weight γ", 0.0, 2.0, 0.5, 0.1),
    takeaway="In a game, following each player's gradient can orbit or fly away from the equilibrium; "
             "the update rule and the regulariser decide.",
)

TRICKS = Lesson(
    slug="training-tricks",
    title="Training tricks, one click each",
    body=r"""
Each trick below opens the Toy Lab in compare mode: the main run has the trick, the second run the same
settings without it, from the same seed.

- **Feature matching** (Salimans et al. 2016): $G$ minimises $\|\mathbb{E}_x f(x) - \mathbb{E}_z f(G(z))\|_2^2$,
  $f$ the discriminator's last hidden layer, instead of fooling $D$ outright.
- **Minibatch discrimination** (Salimans et al. 2016): $D$ also sees how close each sample is to the others
  in its batch, so a batch of near-copies is easy to catch.
- **Historical averaging** (Salimans et al. 2016): each player's loss gets
  $\lambda\|\theta - \frac{1}{t}\sum_{i \le t}\theta_i\|^2$, a pull towards its own past.
- **Unrolled discriminator** (Metz et al. 2017): $G$'s loss is taken against $D$ after $k$ look-ahead
  updates, so $G$ anticipates $D$'s reply.
- **One-sided label smoothing** (Salimans et al. 2016): the target for real data is $t < 1$, so
  $D^* = t\,p_{data} / (p_{data} + p_g)$ can never be fully sure. Only the real side is smoothed: a fake
  target $\beta > 0$ would give $D^* = (t\,p_{data} + \beta\,p_g)/(p_{data} + p_g)$ and reward fakes where
  there is no data.
- **Instance noise** (Sønderby et al. 2017; Arjovsky & Bottou 2017): Gaussian noise on every input of $D$
  makes the two supports overlap, so the JSD is no longer stuck at $\log 2$.
- **k discriminator steps per generator step** (Goodfellow et al. 2014, Algorithm 1): keep $D$ closer to
  $D^*$.
- **Two time-scale update rule, TTUR** (Heusel et al. 2017): separate learning rates, here $4 \cdot 10^{-4}$
  for $D$ and $10^{-4}$ for $G$.
- **EMA of the generator** (Karras et al. 2018; Yazıcı et al. 2019): sample from
  $\bar\theta \leftarrow \beta\bar\theta + (1 - \beta)\theta$, which averages out the oscillation of the game.
- **Spectral normalisation** (Miyato et al. 2018): every weight matrix of $D$ is divided by its largest
  singular value, so each layer is 1-Lipschitz.

The figure shows label smoothing's optimum for $p_{data} = N(0, 1)$ and $p_g = N(2, 1)$: the slider sets $t$.
""",
    question=Question(
        prompt="A discriminator is trained against an untrained generator with one-sided label smoothing, "
               "real target 0.9. What does it output on the real points?",
        options=("About 1, as without smoothing", "About 0.9", "About 0.5"),
        run_label="Train D for 1,000 steps with and without label smoothing",
        experiment=experiments.training_tricks,
    ),
    links=(
        toy_ab("Feature matching (A/B)", {"tricks.feature_matching": "true"},
               {"tricks.feature_matching": "false"}),
        toy_ab("Minibatch discrimination (A/B)", {"tricks.minibatch_discrimination": "true"},
               {"tricks.minibatch_discrimination": "false"}),
        toy_ab("Historical averaging, λ = 0.1 (A/B)", {"tricks.historical_averaging": "0.1"},
               {"tricks.historical_averaging": "0"}),
        toy_ab("Unrolled discriminator, 5 steps (A/B)", {"tricks.unrolled_steps": "5"},
               {"tricks.unrolled_steps": "0"}),
        toy_ab("One-sided label smoothing, t = 0.9 (A/B)", {"reg.label-smoothing": "0.9"},
               {"reg.label-smoothing": "off"}),
        toy_ab("Instance noise, σ = 0.3, minimax loss on two separated Gaussians (A/B)",
               {"loss.name": "minimax", "reg.instance-noise": "0.3"}, {"reg.instance-noise": "off"},
               data="disjoint-gaussians"),
        toy_ab("5 discriminator steps per generator step (A/B)", {"d_steps": "5"}, {"d_steps": "1"}),
        toy_ab("Two time-scale learning rates, TTUR (A/B)", {"g_opt.lr": "0.0001", "d_opt.lr": "0.0004"},
               {"g_opt.lr": "0.001", "d_opt.lr": "0.001"}),
        toy_ab("EMA of the generator, β = 0.999 (A/B)", {"ema": "0.999"}, {"ema": "0"}),
        toy_ab("Spectral normalisation of D (A/B)", {"d.spectral_norm": "true"}, {"d.spectral_norm": "false"}),
    ),
    slider=Slider("Real target t (label smoothing)", 0.5, 1.0, 0.9, 0.05),
    takeaway="One-sided label smoothing caps D's confidence at the target: its logit on real data stops at "
             "log(t / (1 − t)) instead of growing without bound.",
)

DCGAN = Lesson(
    slug="dcgan-latent",
    title="DCGAN on MNIST and latent arithmetic",
    body=r"""
DCGAN (Radford et al. 2016) made convolutional GANs train reliably with a few rules: strided convolutions
instead of pooling (transposed convolutions in $G$), batch normalisation in both networks except $G$'s
output and $D$'s input, ReLU in $G$ with a tanh output, LeakyReLU in $D$, and Adam with learning rate
$2 \cdot 10^{-4}$ and $\beta_1 = 0.5$. The shipped `mnist_dcgan` was trained this way by ganlab on a CPU:
15,000 steps on a 4,000-digit MNIST subset, $z \sim N(0, I_{100})$.

Its latent space is smooth: nearby $z$ give similar digits, and a path between two latents passes
through plausible images (for Gaussian latents spherical interpolation keeps the norm typical; White
2016). Radford et al. found that averaged latents of concepts add up:
$\bar z_{\text{smiling woman}} - \bar z_{\text{neutral woman}} + \bar z_{\text{neutral man}}$ gives a smiling
man. A single attribute becomes a direction $u$: fit it by regressing the attribute on $z$, then walk
$z + \alpha u$.

A direction that predicts an attribute also carries whatever correlates with it. In an unconditional
generator the digit's identity lives in $z$ too, and ink is correlated with it (a 1 has little, a 0 a
lot). A conditional GAN (Mirza & Osindero 2014) takes the label as an input, which leaves $z$ to carry
the style. The figure shows 64 samples of `mnist_dcgan`; the slider picks their seed.
""",
    question=Question(
        prompt="In the DCGAN's latent space we fit a direction that predicts how much ink a digit has, then walk "
               "16 latents along it from α = −3 to α = 3. What happens?",
        options=("The ink rises steadily and each digit stays the same digit",
                 "The ink rises steadily, but most digits turn into other digits",
                 "Nothing systematic happens to the ink"),
        run_label="Walk 16 latents along the ink direction (DCGAN and conditional GAN)",
        experiment=experiments.dcgan_latent,
    ),
    links=(
        link("train a DCGAN", "mnist-lab",
             {"arch": "dcgan", "kind": "unconditional", "loss": "nonsaturating", "play": "1"}),
        link("the shipped DCGAN", "latent-explorer",
             {"checkpoint": "mnist_dcgan", "seed": "0"}),
        link("the shipped conditional GAN", "latent-explorer",
             {"checkpoint": "mnist_cgan", "seed": "0"}),
    ),
    slider=Slider("Seed of the 64 latents", 0.0, 50.0, 0.0, 1.0),
    takeaway="Latent directions are real but entangled: in an unconditional GAN more ink also means another "
             "digit; conditioning on the label frees z to carry style.",
)

EVALUATING = Lesson(
    slug="evaluating-gans",
    title="Evaluating GANs: the classifier score and FID (LeNet)",
    body=r"""
A GAN has no likelihood to report, so its samples are judged through a pretrained classifier. The
Inception Score (Salimans et al. 2016) is
$$
\mathrm{IS} = \exp\Big(\mathbb{E}_x\,\mathrm{KL}\big(p(y \mid x)\,\|\,p(y)\big)\Big),
\qquad p(y) = \mathbb{E}_x\,p(y \mid x),
$$
high when each sample is classified confidently and the classes are balanced; it lies between 1 and the
number of classes. ganlab computes it with its own LeNet, trained on MNIST (97.8% held-out accuracy),
and calls it the *classifier score* (at most 10).

The Fréchet Inception Distance (Heusel et al. 2017) fits a Gaussian to the features of real and of
generated images and compares them:
$$
\mathrm{FID} = \|\mu_r - \mu_g\|_2^2 +
\operatorname{tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r \Sigma_g)^{1/2}\big).
$$
Here the features are the LeNet's 128-d last hidden layer, hence *FID (LeNet)*: lower is better, and its
values are not comparable with Inception FIDs.

Both see only what the feature network sees, and neither looks at the training set: a "generator" that
returns copies of training digits scores like the data itself. The classifier score is computed from
$p(y \mid x)$ alone, so it ignores diversity within a class, and can even rise when that diversity
collapses; FID does react to the collapsed covariance. The figure makes this exact in a toy feature
space with 10 classes: the slider sets the generator's within-class spread.
""",
    question=Question(
        prompt="A cheating generator returns just ten training digits, one per class, over and over. Which "
               "classifier score (from 1 to 10) does it get?",
        options=("9 or more: as high as real digits", "Between 5 and 9", "Below 5"),
        run_label="Score two cheating generators with LeNet",
        experiment=experiments.evaluating_gans,
    ),
    links=(
        link("the shipped DCGAN", "latent-explorer",
             {"checkpoint": "mnist_dcgan", "seed": "0"}),
        link("train a DCGAN and watch its scores", "mnist-lab",
             {"arch": "dcgan", "kind": "unconditional", "play": "1"}),
    ),
    slider=Slider("Generator's within-class spread s", 0.0, 1.5, 0.2, 0.05),
    takeaway="A score is only as good as what it looks at: the classifier score rewards ten repeated digits, "
             "and neither metric notices a copy of the training set.",
)

LESSONS: tuple[Lesson, ...] = (ADVERSARIAL_IDEA, MINIMAX, MAXIMUM_LIKELIHOOD, SATURATION, MODE_COLLAPSE, DISJOINT,
                               WGAN, GAME, TRICKS, DCGAN, EVALUATING)
