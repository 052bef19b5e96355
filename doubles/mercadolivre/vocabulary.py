"""The Portuguese words the sandbox builds its data from: products, names, places, phrases."""

# (product, category_id, lowest price in cents, highest price in cents)
PRODUCTS = (
    ("Camiseta", "MLB31447", 2990, 12990),
    ("Tênis", "MLB23332", 12990, 59990),
    ("Fone de Ouvido", "MLB3697", 4990, 89990),
    ("Garrafa Térmica", "MLB270243", 3990, 24990),
    ("Mochila", "MLB26538", 7990, 39990),
    ("Luminária", "MLB1582", 3990, 29990),
    ("Cafeteira", "MLB27574", 9990, 129990),
    ("Relógio", "MLB1118", 8990, 149990),
    ("Caneca", "MLB30989", 1990, 7990),
    ("Kit de Ferramentas", "MLB263532", 6990, 49990),
    ("Capa de Celular", "MLB5337", 990, 5990),
    ("Carregador Turbo", "MLB1717", 2990, 14990),
    ("Panela de Pressão", "MLB30856", 8990, 39990),
    ("Jogo de Lençol", "MLB253135", 7990, 29990),
    ("Mouse Sem Fio", "MLB1714", 2990, 24990),
    ("Cadeira Gamer", "MLB254687", 49990, 199990),
)
QUALIFIERS = (
    "Premium",
    "Básico",
    "Esportivo",
    "Infantil",
    "Profissional",
    "Compacto",
    "Portátil",
    "Clássico",
    "Inox",
    "Algodão",
)
COLORS = ("Preto", "Branco", "Azul", "Vermelho", "Verde", "Cinza", "Rosa", "Amarelo")
BRANDS = ("Aurora", "Tupã", "Jabuti", "Ipê", "Sabiá", "Maré", "Cerrado", "Pampa")
STORES = ("CASA", "BAZAR", "EMPORIO", "OFICINA", "ATELIE", "MERCADINHO", "ARMAZEM", "LOJA")
FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Henrique",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Paula",
    "Rafael",
)
LAST_NAMES = (
    "Silva",
    "Souza",
    "Oliveira",
    "Santos",
    "Pereira",
    "Costa",
    "Rodrigues",
    "Almeida",
    "Nascimento",
    "Lima",
    "Araújo",
    "Ferreira",
)
# (city, state id, state name, zip prefix)
CITIES = (
    ("São Paulo", "BR-SP", "São Paulo", "01"),
    ("Campinas", "BR-SP", "São Paulo", "13"),
    ("Rio de Janeiro", "BR-RJ", "Rio de Janeiro", "20"),
    ("Belo Horizonte", "BR-MG", "Minas Gerais", "30"),
    ("Curitiba", "BR-PR", "Paraná", "80"),
    ("Porto Alegre", "BR-RS", "Rio Grande do Sul", "90"),
    ("Salvador", "BR-BA", "Bahia", "40"),
    ("Recife", "BR-PE", "Pernambuco", "50"),
    ("Fortaleza", "BR-CE", "Ceará", "60"),
    ("Goiânia", "BR-GO", "Goiás", "74"),
)
STREETS = (
    "Rua das Flores",
    "Avenida Brasil",
    "Rua XV de Novembro",
    "Rua do Comércio",
    "Avenida Paulista",
)
QUESTION_TEMPLATES = (
    "Boa tarde, tem na cor {color}?",
    "Olá, qual o prazo de entrega para {city}?",
    "Esse produto tem garantia?",
    "Vocês emitem nota fiscal?",
    "Consigo retirar pessoalmente em {city}?",
    "Tem a pronta entrega? Preciso para esta semana.",
    "Qual o material? É {qualifier} mesmo?",
    "Faz desconto para duas unidades?",
)
ANSWER_TEMPLATES = (
    "Olá! Sim, temos disponível. Obrigado pela pergunta!",
    "Olá, o prazo aparece no anúncio ao informar o seu CEP. Ficamos à disposição.",
    "Bom dia! Sim, todos os produtos saem com nota fiscal.",
    "Olá! A garantia é de 90 dias contra defeitos de fabricação.",
)
PAYMENT_METHODS = (
    ("master", "credit_card"),
    ("visa", "credit_card"),
    ("pix", "bank_transfer"),
    ("bolbradesco", "ticket"),
    ("account_money", "account_money"),
)
WARRANTIES = ("Garantia de fábrica: 90 dias", "Garantia do vendedor: 30 dias", "Sem garantia")
LOGISTIC_TYPES = ("drop_off", "xd_drop_off", "fulfillment", "cross_docking")
