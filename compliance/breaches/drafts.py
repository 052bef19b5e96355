"""Drafts of a case's notices (Portuguese), written from the case's own fields.

Three audiences: the ANPD (Art. 48 §1 items I-VI, Res. CD/ANPD 15/2024 form), the owner of each
affected store (Peepers is their operator, Art. 39), and the data subjects (individual notice, or
a public notice kept at least 90 days). Staff review and send them; nothing is sent from here.
Empty fields show as ``[a preencher]`` so a draft is never mistaken for a finished notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from compliance.breaches import deadlines
from compliance.breaches.models import BreachCase

TODO = "[a preencher]"


@dataclass(frozen=True)
class NoticeDraft:
    audience: str  # "anpd", "tenant" or "subjects"
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True)
class NoticeDrafts:
    anpd: NoticeDraft
    tenants: tuple[NoticeDraft, ...]
    subjects: NoticeDraft

    def all(self) -> list[NoticeDraft]:
        return [self.anpd, *self.tenants, self.subjects]


def _when(moment: datetime | None) -> str:
    if moment is None:
        return TODO
    return moment.astimezone(deadlines.BRAZIL).strftime("%d/%m/%Y %H:%M") + " (horário de Brasília)"


def _text(value: str) -> str:
    return value.strip() or TODO


def _subjects(case: BreachCase) -> str:
    count = TODO if case.subjects_count is None else f"{case.subjects_count}"
    return f"{_text(case.subject_categories)}; número de titulares afetados: {count}"


def _delay(case: BreachCase) -> str:
    if case.delay_reasons.strip():
        return case.delay_reasons.strip()
    return f"Comunicação dentro do prazo (até {_when(case.notification_due_at)})."


def _dpo() -> str:
    return str(getattr(settings, "PEEPERS_DPO_CONTACT", "") or "[encarregado: nome e contato]")


def _anpd(case: BreachCase) -> NoticeDraft:
    body = f"""Comunicação de incidente de segurança com dados pessoais (LGPD, art. 48;
Resolução CD/ANPD nº 15/2024)

Controlador: Peepers. Encarregado: {_dpo()}.
Incidente: {case.title} (caso nº {case.pk}).
Ciência do incidente: {_when(case.awareness_at)}.
Prazo de comunicação: {_when(case.notification_due_at)}.
Descrição: {_text(case.description)}
Detectado por: {_text(case.detected_by)} ({_text(case.detection_method)}).

I - Natureza dos dados pessoais afetados: {_text(case.data_nature)}
II - Titulares envolvidos: {_subjects(case)}
    Lojas afetadas: {", ".join(str(a) for a in case.affected.all()) or "nenhuma identificada"}
III - Medidas técnicas e de segurança utilizadas para a proteção dos dados:
    {_text(case.security_measures)}
    Dados ininteligíveis (ex.: criptografados): {"sim" if case.data_unintelligible else "não"}
IV - Riscos relacionados ao incidente: {_text(case.risks)}
V - Motivos da demora: {_delay(case)}
VI - Medidas adotadas ou a adotar para reverter ou mitigar os efeitos:
    {_text(case.mitigation_measures)}

(EN: Security incident notice to the ANPD under LGPD Art. 48 §1, items I-VI above.)
"""
    return NoticeDraft(
        audience="anpd",
        recipient="ANPD (formulário eletrônico de comunicação de incidente)",
        subject=f"Comunicação de incidente de segurança - {case.title}",
        body=body,
    )


def _tenant(case: BreachCase, affected_name: str, recipient: str, count: int | None) -> NoticeDraft:
    yours = TODO if count is None else str(count)
    body = f"""Olá,

A Peepers, operadora dos dados pessoais que a sua loja "{affected_name}" trata na plataforma,
informa um incidente de segurança que afetou dados da sua loja.

O que aconteceu: {_text(case.description)}
Quando tomamos ciência: {_when(case.awareness_at)}.
Dados afetados: {_text(case.data_nature)}
Titulares da sua loja afetados: {yours} ({_text(case.subject_categories)}).
Medidas de segurança que protegiam os dados: {_text(case.security_measures)}
Riscos: {_text(case.risks)}
O que fizemos e faremos: {_text(case.mitigation_measures)}

Como controladora, sua loja pode ter de comunicar a ANPD e os titulares em até 3 dias úteis da
ciência (prazo que termina em {_when(case.notification_due_at)}); enviamos as informações acima
para isso e ficamos à disposição. Encarregado da Peepers: {_dpo()}.

(EN: Notice to the store owner, as Peepers is the operator for this store's data.)
"""
    return NoticeDraft(
        audience="tenant",
        recipient=recipient or TODO,
        subject=f"Incidente de segurança na Peepers - {case.title}",
        body=body,
    )


def _subjects_notice(case: BreachCase) -> NoticeDraft:
    body = f"""Comunicado sobre incidente de segurança com seus dados pessoais

Em {_when(case.awareness_at)}, a Peepers tomou conhecimento de um incidente de segurança:
{_text(case.description)}

Quais dados: {_text(case.data_nature)}
Quem foi afetado: {_subjects(case)}
Como os dados estavam protegidos: {_text(case.security_measures)}
Que riscos isso traz para você: {_text(case.risks)}
O que estamos fazendo: {_text(case.mitigation_measures)}

Dúvidas ou pedidos sobre seus dados: fale com nosso encarregado, {_dpo()}.

(EN: Notice to the data subjects under LGPD Art. 48; individual where possible, otherwise a
public notice kept for at least 90 days.)
"""
    return NoticeDraft(
        audience="subjects",
        recipient=_text(case.subjects_notice_channel),
        subject="Aviso de incidente de segurança com dados pessoais",
        body=body,
    )


def drafts_for(case: BreachCase) -> NoticeDrafts:
    tenant_drafts = tuple(
        _tenant(
            case,
            str(row),
            row.tenant.owner_email if row.tenant is not None else "",
            row.subjects_count,
        )
        for row in case.affected.select_related("tenant").order_by("pk")
    )
    return NoticeDrafts(anpd=_anpd(case), tenants=tenant_drafts, subjects=_subjects_notice(case))
