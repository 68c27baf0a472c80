"""The animals the bot can think of, what is true of each, and names it recognises."""

from __future__ import annotations

from dataclasses import dataclass

from embedded.llm.language import Localized
from embedded.llm.text import word_list


@dataclass(frozen=True)
class Animal:
    name: Localized  # with its article, as spoken: "an owl", "une chouette"
    aliases: tuple[str, ...]  # folded names that count as guessing it, both languages
    kind: str  # mammal, bird, fish, reptile, amphibian, insect, arachnid or mollusc
    legs: int
    weight_kg: float
    traits: frozenset[str]  # what yes/no questions ask about (see animal_questions.py)
    clue: Localized

    @property
    def bare_name(self) -> Localized:
        """Without the article: "an owl" → "owl", "une chouette" → "chouette"."""
        return {"en": self.name["en"].split(" ", 1)[1], "fr": self.name["fr"].split(" ", 1)[1]}


def _animal(
    en: str, fr: str, aliases: str, kind: str, legs: int, kg: float, traits: str,
    clue_en: str, clue_fr: str,
) -> Animal:  # fmt: skip
    return Animal(
        name={"en": en, "fr": fr},
        aliases=tuple(a.strip() for a in aliases.split(",")),
        kind=kind,
        legs=legs,
        weight_kg=kg,
        traits=frozenset(traits.split()),
        clue={"en": clue_en, "fr": clue_fr},
    )


ANIMALS: tuple[Animal, ...] = (
    _animal("a cat", "un chat", "cat, cats, kitten, kitty, chat, chats, chaton",
            "mammal", 4, 4, "fur pet meat tail climbs whiskers",
            "it purrs when it's happy.", "il ronronne quand il est content."),
    _animal("a dog", "un chien", "dog, dogs, puppy, chien, chiens, chiot",
            "mammal", 4, 25, "fur pet meat plants tail",
            "it's called man's best friend.", "on dit que c'est le meilleur ami de l'homme."),
    _animal("a horse", "un cheval", "horse, horses, pony, cheval, chevaux, poney",
            "mammal", 4, 500, "fur farm plants hooves tail mane fast brown",
            "people ride it.", "on peut monter dessus."),
    _animal("a cow", "une vache", "cow, cows, bull, vache, vaches, taureau",
            "mammal", 4, 700, "fur farm plants hooves horns tail spots black white",
            "it gives us milk.", "elle nous donne du lait."),
    _animal("a pig", "un cochon", "pig, pigs, piglet, hog, cochon, cochons, porc, porcs",
            "mammal", 4, 150, "farm plants meat hooves tail pink",
            "it loves rolling in the mud.", "il adore se rouler dans la boue."),
    _animal("a chicken", "une poule", "chicken, chickens, hen, hens, rooster, poule, poules, "
            "coq, poulet", "bird", 2, 2.5, "feathers farm eggs plants wings",
            "it lays eggs we eat for breakfast.", "elle pond des œufs qu'on mange au "
            "petit-déjeuner."),
    _animal("a rabbit", "un lapin", "rabbit, rabbits, bunny, hare, lapin, lapins, lievre",
            "mammal", 4, 2, "fur pet plants hops tail long_ears fast",
            "it has long ears and loves carrots.", "il a de grandes oreilles et adore les "
            "carottes."),
    _animal("a mouse", "une souris", "mouse, mice, rat, souris",
            "mammal", 4, 0.02, "fur pet plants tail nocturnal gray whiskers",
            "cats love to chase it.", "les chats adorent la chasser."),
    _animal("a lion", "un lion", "lion, lions, lioness, lionne",
            "mammal", 4, 190, "fur wild africa meat tail mane dangerous yellow fast",
            "it's called the king of the jungle.", "on l'appelle le roi de la jungle."),
    _animal("a tiger", "un tigre", "tiger, tigers, tigre, tigres",
            "mammal", 4, 200, "fur wild asia jungle forest meat tail stripes orange black "
            "dangerous swims fast", "it's the biggest cat in the world.",
            "c'est le plus grand félin du monde."),
    _animal("an elephant", "un éléphant", "elephant, elephants",
            "mammal", 4, 5000, "wild africa asia plants trunk tusks gray tail",
            "it never forgets, or so they say.", "il a une mémoire d'éléphant, bien sûr."),
    _animal("a giraffe", "une girafe", "giraffe, giraffes, girafe, girafes",
            "mammal", 4, 1000, "fur wild africa plants long_neck spots hooves tail horns "
            "yellow brown", "it's the tallest animal on Earth.",
            "c'est l'animal le plus grand du monde."),
    _animal("a zebra", "un zèbre", "zebra, zebras, zebre, zebres",
            "mammal", 4, 350, "fur wild africa plants stripes hooves tail mane black white "
            "fast", "it looks like a horse in pyjamas.",
            "on dirait un cheval en pyjama."),
    _animal("a monkey", "un singe", "monkey, monkeys, chimp, chimpanzee, ape, singe, singes, "
            "chimpanze", "mammal", 2, 10, "fur wild jungle forest climbs plants meat tail "
            "brown", "it loves bananas.", "il adore les bananes."),
    _animal("a kangaroo", "un kangourou", "kangaroo, kangaroos, kangourou, kangourous",
            "mammal", 2, 60, "fur wild australia plants hops tail pouch brown fast",
            "it carries its baby in a pouch.", "il porte son petit dans une poche."),
    _animal("a polar bear", "un ours polaire", "polar bear, polar bears, ours polaire, "
            "ours blanc", "mammal", 4, 450,
            "fur wild cold meat swims white dangerous",
            "it lives on the ice near the North Pole.", "il vit sur la banquise, près du "
            "pôle Nord."),
    _animal("a whale", "une baleine", "whale, whales, baleine, baleines",
            "mammal", 0, 100000, "wild water ocean swims tail meat gray blue",
            "it's the biggest animal that ever lived.", "c'est le plus gros animal qui ait "
            "jamais existé."),
    _animal("a dolphin", "un dauphin", "dolphin, dolphins, dauphin, dauphins",
            "mammal", 0, 150, "wild water ocean swims tail meat gray fast",
            "it's very clever and talks with clicks and whistles.",
            "il est très malin et parle avec des clics et des sifflements."),
    _animal("a shark", "un requin", "shark, sharks, requin, requins",
            "fish", 0, 800, "wild water ocean swims tail meat gray dangerous fast scales",
            "it has rows and rows of sharp teeth.", "il a des rangées de dents pointues."),
    _animal("an octopus", "une pieuvre", "octopus, octopuses, octopi, pieuvre, pieuvres, "
            "poulpe, poulpes", "mollusc", 8, 10, "wild water ocean swims meat",
            "it has eight arms.", "elle a huit bras."),
    _animal("a penguin", "un manchot", "penguin, penguins, manchot, manchots, pingouin, "
            "pingouins", "bird", 2, 20, "feathers wild swims water cold meat eggs black "
            "white wings", "it can't fly, but it swims very well in icy water.",
            "il ne vole pas, mais il nage très bien dans l'eau glacée."),
    _animal("an eagle", "un aigle", "eagle, eagles, aigle, aigles",
            "bird", 2, 5, "feathers flies wild meat eggs mountains brown fast wings",
            "it has amazing eyesight and hunts from the sky.",
            "il a une vue perçante et chasse depuis le ciel."),
    _animal("an owl", "une chouette", "owl, owls, chouette, chouettes, hibou, hiboux",
            "bird", 2, 1.5, "feathers flies wild nocturnal meat eggs forest brown wings",
            "it can turn its head almost all the way around.",
            "elle peut tourner la tête presque complètement."),
    _animal("a frog", "une grenouille", "frog, frogs, toad, toads, grenouille, grenouilles, "
            "crapaud, crapauds", "amphibian", 4, 0.05, "wild water swims hops green eggs meat",
            "it starts life as a tadpole.", "elle commence sa vie en tant que têtard."),
    _animal("a snake", "un serpent", "snake, snakes, serpent, serpents, python, cobra, viper, "
            "vipere", "reptile", 0, 5, "wild scales meat eggs dangerous forest desert",
            "it has no legs at all and sheds its skin.",
            "il n'a pas de pattes et il change de peau."),
    _animal("a crocodile", "un crocodile", "crocodile, crocodiles, alligator, alligators",
            "reptile", 4, 500, "wild scales water swims meat dangerous eggs green tail africa",
            "it has a huge mouth full of teeth and lives in rivers.",
            "il a une énorme gueule pleine de dents et vit dans les rivières."),
    _animal("a turtle", "une tortue", "turtle, turtles, tortoise, tortoises, tortue, tortues",
            "reptile", 4, 20, "shell swims water eggs slow green plants pet",
            "it carries its house on its back.", "elle porte sa maison sur son dos."),
    _animal("a bee", "une abeille", "bee, bees, abeille, abeilles",
            "insect", 6, 0.0001, "flies wild plants stripes yellow black dangerous honey wings",
            "it makes honey.", "elle fabrique du miel."),
    _animal("a butterfly", "un papillon", "butterfly, butterflies, papillon, papillons",
            "insect", 6, 0.0005, "flies wild plants eggs colorful wings",
            "it starts life as a caterpillar.", "il commence sa vie en chenille."),
    _animal("a spider", "une araignée", "spider, spiders, tarantula, araignee, araignees",
            "arachnid", 8, 0.01, "wild meat eggs black climbs web",
            "it spins a web to catch its food.", "elle tisse une toile pour attraper à manger."),
    _animal("a fox", "un renard", "fox, foxes, renard, renards",
            "mammal", 4, 6, "fur wild forest meat plants tail orange fast nocturnal",
            "it has a bushy tail and a reputation for being sly.",
            "il a une queue touffue et on le dit rusé."),
    _animal("a wolf", "un loup", "wolf, wolves, loup, loups",
            "mammal", 4, 40, "fur wild forest meat tail gray dangerous fast",
            "it howls at the moon.", "il hurle à la lune."),
    _animal("a bear", "un ours", "bear, bears, brown bear, grizzly, ours, ours brun",
            "mammal", 4, 300, "fur wild forest mountains meat plants brown dangerous climbs "
            "swims", "it sleeps through the winter.", "il dort tout l'hiver."),
    _animal("a panda", "un panda", "panda, pandas, giant panda, panda geant",
            "mammal", 4, 100, "fur wild asia forest plants black white climbs",
            "it eats almost nothing but bamboo.", "il ne mange presque que du bambou."),
    _animal("a koala", "un koala", "koala, koalas",
            "mammal", 4, 10, "fur wild australia plants climbs gray pouch nocturnal",
            "it sleeps most of the day in eucalyptus trees.",
            "il dort presque toute la journée dans les eucalyptus."),
    _animal("a hedgehog", "un hérisson", "hedgehog, hedgehogs, herisson, herissons",
            "mammal", 4, 1, "wild forest meat nocturnal brown spines",
            "it rolls up into a prickly ball.", "il se roule en boule piquante."),
    _animal("a flamingo", "un flamant rose", "flamingo, flamingos, flamant, flamants, "
            "flamant rose", "bird", 2, 3, "feathers flies wild water pink eggs wings "
            "long_neck meat", "it often stands on one leg.",
            "il se tient souvent sur une seule patte."),
    _animal("a raccoon", "un raton laveur", "raccoon, raccoons, raton laveur, ratons laveurs",
            "mammal", 4, 8, "fur wild forest nocturnal meat plants tail gray stripes climbs",
            "it looks like it's wearing a little mask.",
            "on dirait qu'il porte un petit masque."),
    _animal("a snail", "un escargot", "snail, snails, escargot, escargots",
            "mollusc", 0, 0.01, "shell slow plants garden small",
            "it carries its shell on its back and leaves a shiny trail.",
            "il porte sa coquille sur le dos et laisse une trace brillante."),
    _animal("a camel", "un chameau", "camel, camels, dromedary, chameau, chameaux, dromadaire",
            "mammal", 4, 500, "fur wild desert plants hooves tail brown hump",
            "it can go for days in the desert without drinking.",
            "il peut passer des jours dans le désert sans boire."),
    _animal("a squirrel", "un écureuil", "squirrel, squirrels, ecureuil, ecureuils",
            "mammal", 4, 0.5, "fur wild forest plants climbs tail brown orange garden",
            "it hides nuts for the winter.", "il cache des noisettes pour l'hiver."),
)  # fmt: skip

# Names the bot does not think of, but recognises as a guess ("is it a wolf?").
OTHER_ANIMAL_NAMES = word_list(
    """deer sheep goat duck goose parrot hamster bat hippo hippopotamus rhino
    rhinoceros gorilla lizard seal ant mosquito worm crab lobster jellyfish donkey llama
    cheetah leopard ostrich swan pigeon sparrow beaver otter moose salmon tuna goldfish
    porcupine platypus sloth chameleon peacock skunk walrus anteater capybara toucan
    dinosaur unicorn dragon cerf mouton chevre canard oie perroquet chauve-souris
    hippopotame gorille lezard phoque fourmi mouche moustique crabe homard
    meduse ane lama guepard autruche cygne moineau castor loutre elan saumon thon
    porc-epic ornithorynque paresseux cameleon paon moufette morse fourmilier capybara
    toucan dinosaure licorne"""
)
