"""Short note texts (title and summary, as the pipeline embeds them) across the
taxonomy, written for measuring the exported model against the reference one.
Each entry: (subject, text). The tests use other notes of their own."""

NOTES = [
    ("Physics", "Newton's laws of motion. Force equals mass times acceleration; every action "
                "has an equal and opposite reaction; inertia keeps bodies moving."),
    ("Physics", "Electromagnetic induction. A changing magnetic flux through a coil induces "
                "a voltage, as Faraday's law describes; Lenz's law gives its direction."),
    ("Physics", "Quantum tunnelling. A particle's wave function leaks through a potential "
                "barrier it could not classically cross, which explains alpha decay."),
    ("Chemistry", "Chemical equilibrium. Le Chatelier's principle predicts how a reaction "
                  "shifts when concentration, pressure or temperature changes."),
    ("Chemistry", "Organic functional groups. Alcohols, aldehydes, ketones and carboxylic "
                  "acids react differently because of the groups they carry."),
    ("Chemistry", "Acids and bases. pH measures hydrogen ion concentration; buffers resist "
                  "changes in pH when a little acid or base is added to a solution."),
    ("Biology", "Cell division. Mitosis copies a cell's chromosomes into two identical "
                "daughter cells; meiosis halves them to make gametes."),
    ("Biology", "Natural selection. Organisms with heritable traits suited to their "
                "environment leave more offspring, so populations evolve over generations."),
    ("Biology", "Photosynthesis. Chloroplasts capture light to turn carbon dioxide and water "
                "into glucose, releasing oxygen through the Calvin cycle."),
    ("Earth Science", "Plate tectonics. The lithosphere is broken into plates whose motion "
                      "causes earthquakes, volcanoes and mountain building."),
    ("Earth Science", "The water cycle. Evaporation, condensation, precipitation and runoff "
                      "move water between oceans, atmosphere and land."),
    ("Earth Science", "Climate change. Greenhouse gases trap heat, warming the planet, "
                      "raising sea levels and shifting weather patterns and ecosystems."),
    ("Astronomy", "The life of stars. Stars fuse hydrogen into helium; massive ones end as "
                  "supernovae leaving neutron stars or black holes."),
    ("Astronomy", "Exoplanets. Astronomers find planets around other stars by the transit "
                  "method and by the wobble they cause in their star's light."),
    ("Astronomy", "The expanding universe. Hubble found that distant galaxies recede faster; "
                  "the cosmic microwave background is light from the early universe."),
    ("Mathematics", "Derivatives. The derivative is the limit of the difference quotient; "
                    "the chain rule differentiates compositions of functions."),
    ("Mathematics", "Linear algebra. Matrices represent linear maps; eigenvalues and "
                    "eigenvectors describe directions a transformation only stretches."),
    ("Mathematics", "Proof by induction. Prove a base case, then show that the statement "
                    "for n implies it for n plus one, to prove it for all naturals."),
    ("Statistics", "Hypothesis testing. A p-value is the probability of data at least this "
                   "extreme if the null hypothesis were true; compare it with alpha."),
    ("Statistics", "Linear regression. Least squares fits a line to data; residuals, R "
                   "squared and confidence intervals tell how well it fits."),
    ("Statistics", "Sampling distributions. The central limit theorem says sample means are "
                   "approximately normal for large samples, whatever the population."),
    ("Computer Science", "Sorting algorithms. Merge sort and quicksort run in n log n time; "
                         "insertion sort is quadratic but fast on small inputs."),
    ("Computer Science", "Hash tables. A hash function maps keys to buckets for constant "
                         "average lookup; collisions are handled by chaining or probing."),
    ("Computer Science", "Neural networks. Layers of weighted sums and nonlinear activations "
                         "are trained by backpropagation and gradient descent."),
    ("Engineering", "Bridge design. Engineers choose truss, arch or suspension structures "
                    "and size beams for the loads, stresses and safety factors."),
    ("Engineering", "Control systems. A PID controller uses feedback of the error, its "
                    "integral and derivative to keep a process at its set point."),
    ("Engineering", "Electrical circuits. Ohm's law and Kirchhoff's laws give currents and "
                    "voltages in resistor networks; capacitors store charge."),
    ("Medicine", "The cardiovascular system. The heart pumps blood through arteries and "
                 "veins; high blood pressure raises the risk of stroke and heart attack."),
    ("Medicine", "Vaccines and immunity. Vaccines train the immune system to make "
                 "antibodies and memory cells against a pathogen without the disease."),
    ("Medicine", "Diabetes. Insulin lets cells take up glucose; type 1 diabetes destroys "
                 "insulin-making cells, type 2 is insulin resistance, treated by diet and drugs."),
    ("Psychology", "Classical conditioning. Pavlov's dogs learned to salivate at a bell "
                   "paired with food; a neutral stimulus becomes a conditioned one."),
    ("Psychology", "Memory. Information passes from sensory memory to short-term memory "
                   "and, through rehearsal, into long-term memory; we forget over time."),
    ("Psychology", "Cognitive biases. Confirmation bias and anchoring make people judge "
                   "and decide in predictably irrational ways."),
    ("Economics", "Supply and demand. The market price settles where the quantity supplied "
                  "equals the quantity demanded; shortages push prices up."),
    ("Economics", "Inflation and monetary policy. Central banks raise interest rates to "
                  "slow inflation and lower them to support growth and employment."),
    ("Economics", "Comparative advantage. Countries gain from trade by specialising in what "
                  "they produce at a lower opportunity cost."),
    ("Business", "Marketing strategy. Segment the market, choose a target customer, and "
                 "position the product with the right price, place and promotion."),
    ("Business", "Startup fundraising. Founders raise seed and series A rounds from venture "
                 "capital, trading equity for cash at a negotiated valuation."),
    ("Business", "Financial statements. The balance sheet, income statement and cash flow "
                 "statement show a company's assets, profit and liquidity."),
    ("Political Science", "Separation of powers. Legislative, executive and judicial "
                          "branches check and balance each other in a constitution."),
    ("Political Science", "Electoral systems. First past the post tends toward two parties; "
                          "proportional representation gives smaller parties seats."),
    ("Political Science", "International relations. Realism sees states pursuing power in "
                          "an anarchic system; liberalism stresses institutions and trade."),
    ("Sociology", "Social stratification. Class, status and power divide societies into "
                  "layers, and social mobility lets people move between them."),
    ("Sociology", "Socialisation. Families, schools and peers teach the norms, values and "
                  "roles of a culture, shaping identity."),
    ("Sociology", "Urbanisation. Migration to cities changes family structure, community "
                  "ties, inequality and the use of public space."),
    ("History", "The French Revolution. In 1789 the Estates-General, the storming of the "
                "Bastille and the Terror ended the old monarchy."),
    ("History", "The Roman Empire. Augustus founded the empire; it expanded across the "
                "Mediterranean and the west fell in 476 to invasions and crisis."),
    ("History", "The Cold War. The United States and the Soviet Union competed through "
                "arms races, proxy wars and the space race until 1991."),
    ("Philosophy", "Descartes and doubt. Cogito ergo sum: doubting everything, Descartes "
                   "found certainty in his own thinking mind."),
    ("Philosophy", "Utilitarianism. Bentham and Mill judge actions by their consequences: "
                   "the greatest happiness for the greatest number."),
    ("Philosophy", "Plato's theory of forms. The cave allegory says the senses show shadows; "
                   "reason grasps the eternal forms of justice and the good."),
    ("Literature", "Shakespeare's tragedies. Hamlet, Macbeth and King Lear show heroes "
                   "undone by a flaw, told in blank verse and soliloquies."),
    ("Literature", "The modern novel. Woolf and Joyce used stream of consciousness to follow "
                   "characters' thoughts rather than a plot."),
    ("Literature", "Reading poetry. Meter, rhyme, imagery and metaphor build a poem's "
                   "meaning; a sonnet has fourteen lines."),
    ("Languages", "Spanish verb conjugation. Regular -ar, -er and -ir verbs change their "
                  "endings for person and tense; ser and estar both mean to be."),
    ("Languages", "Learning Japanese. Hiragana, katakana and kanji are the three scripts; "
                  "sentences end with the verb and use particles like wa and ga."),
    ("Languages", "Phonetics and phonology. Linguists describe speech sounds with the "
                  "International Phonetic Alphabet and study how languages use them."),
    ("Art", "Renaissance painting. Leonardo and Raphael used linear perspective, "
            "chiaroscuro and anatomy to paint realistic scenes."),
    ("Art", "Colour theory for designers. Complementary and analogous colours, hue, "
            "saturation and value guide a composition."),
    ("Art", "Impressionism. Monet and Renoir painted light and everyday life with loose "
            "brushstrokes, outdoors, rejecting academic style."),
    ("Music", "Music theory basics. Scales, intervals and chords; the major scale's "
              "pattern of whole and half steps builds harmony."),
    ("Music", "The symphony. Haydn, Mozart and Beethoven shaped the four-movement form "
              "for orchestra with sonata form first movements."),
    ("Music", "Jazz improvisation. Musicians improvise over chord changes, using swing "
              "rhythm, blue notes and call and response."),
    ("Law", "Contract law. A contract needs offer, acceptance, consideration and intent; "
            "a breach entitles the other party to damages."),
    ("Law", "Criminal law. A crime requires a guilty act and a guilty mind, proven beyond "
            "reasonable doubt; defences include self-defence."),
    ("Law", "Constitutional rights. Courts review laws against the constitution and "
            "protect freedom of speech and due process."),
]
