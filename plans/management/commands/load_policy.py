from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from plans.policy import PackInvalid, policy_pack_load


class Command(BaseCommand):
    help = "Create or update a tenant from a policy pack (YAML). Writes nothing on bad input."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="policy pack, e.g. plans/packs/mobilise.yaml")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            reason = getattr(exc, "problem", None) or str(exc)
            raise CommandError(f"{path}:{where}: not valid YAML: {reason}") from exc
        try:
            result = policy_pack_load(document=document)
        except PackInvalid as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(result.summary())
